"""`GET /api/models`: the models a user can pick, grouped by provider, and the default model.

The reply is `{"default_model", "groups": [{"provider", "provider_id", "models": [{"id", "label"}]}]}`
(hermes-webui's shape). It is built from the provider registry on `app.state.providers`; no key, base URL
or other provider setting is ever part of it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...providers import ProviderRegistry
from ..responses import JsonReply, reply

router = APIRouter(tags=["models"])


@router.get("/api/models")
async def list_models(request: Request) -> JsonReply:
    registry: ProviderRegistry = request.app.state.providers
    return reply(await registry.describe())
