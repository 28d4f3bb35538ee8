"""The routes hermes-webui's page reads its preferences from, answered per user as hermes answers them:
`/api/settings`, `/api/reasoning`, `/api/onboarding/*` (always complete: threadkeep has no setup wizard) and
the profile routes (threadkeep has one profile, `default`).

The rules for a settings change live in `auth.preferences`; a `default_workspace` must be one the user may
use (`WorkspaceBook.resolve`), else it is ignored, as hermes ignores an invalid value.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import ConfigDict

from ... import __version__
from ...auth.preferences import EFFORTS
from ...errors import BadRequest
from ...providers import ProviderRegistry
from ...workspace.roots import WorkspaceError
from ..responses import JsonReply, reply
from .deps import Body, Me
from .workspaces import Book

router = APIRouter(tags=["preferences"])

DEFAULT_PROFILE = "default"


class Reasoning(Body):
    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["display"]}, {"required": ["effort"]}]})
    # Either may be left out, neither may be null.
    display: Literal["show", "hide", "on", "off", "true", "false", "1", "0"] = None  # type: ignore[assignment]
    effort: Literal[EFFORTS] = None  # type: ignore[valid-type]


async def _default_model(request: Request) -> str:
    registry: ProviderRegistry = request.app.state.providers
    return registry.default_model or ""


async def _settings(request: Request, book: Book, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored settings with hermes' computed keys: where new sessions start, the default model."""
    out = dict(stored)
    workspace = out.get("default_workspace")
    try:
        out["default_workspace"] = await book.resolve(workspace) if isinstance(workspace, str) else book.home.path
    except WorkspaceError:
        out["default_workspace"] = book.home.path
    out["default_model"] = await _default_model(request)
    return out


@router.get("/api/settings")
async def get_settings(request: Request, book: Book) -> JsonReply:
    """This user's settings over hermes' defaults, plus `default_model` and `webui_version`."""
    out = await _settings(request, book, await book.preferences.load())
    out["webui_version"] = __version__
    return reply(out)


@router.post("/api/settings", openapi_extra={"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"type": "object", "additionalProperties": True}}}}})
async def save_settings(request: Request, book: Book, me: Me) -> JsonReply:
    """A partial update: unknown keys and invalid values are ignored (hermes). Passwords are not managed here
    (`_set_password` / `_clear_password` are ignored): threadkeep's are set with `threadkeep user passwd`."""
    raw = await request.body()
    try:
        changes = orjson.loads(raw) if raw.strip() else {}  # no body: no change (hermes reads it as {})
    except orjson.JSONDecodeError:
        raise BadRequest("request body is not valid JSON") from None
    if not isinstance(changes, dict):
        raise BadRequest("request body must be a JSON object")
    workspace = changes.get("default_workspace")
    if workspace is not None:
        try:
            changes["default_workspace"] = await book.resolve(workspace) if isinstance(workspace, str) else None
        except WorkspaceError:
            changes.pop("default_workspace")
    out = await _settings(request, book, await book.preferences.update(changes))
    settings = request.app.state.settings
    out.update(auth_enabled=settings.auth != "none", logged_in=me.method != "none", auth_just_enabled=False)
    return reply(out)


@router.get("/api/reasoning")
async def get_reasoning(book: Book) -> JsonReply:
    """`{show_reasoning, reasoning_effort}` ('' = the model's default)."""
    return reply(await book.preferences.reasoning())


@router.post("/api/reasoning")
async def set_reasoning(body: Reasoning, book: Book) -> JsonReply:
    """`display` (show/hide) or `effort` (none … xhigh); the reasoning settings after the change."""
    if body.display is not None:
        return reply(await book.preferences.set_reasoning(show=body.display in ("show", "on", "true", "1")))
    if body.effort is not None:
        return reply(await book.preferences.set_reasoning(effort=body.effort))
    raise BadRequest("reasoning: must supply 'display' or 'effort'")


async def _onboarding(request: Request, book: Book, me: Me) -> dict[str, Any]:
    settings = await _settings(request, book, await book.preferences.load())
    return {
        "completed": True,
        "settings": {"default_model": settings["default_model"], "default_workspace": settings["default_workspace"],
                     "password_enabled": request.app.state.settings.auth != "none",
                     "bot_name": settings.get("bot_name") or "Hermes"},
        "system": {"hermes_found": False, "imports_ok": True, "missing_modules": [], "import_errors": {},
                   "provider_configured": True, "chat_ready": True},
        "setup": {},
        "workspaces": {"items": [w.to_dict() for w in await book.entries()], "last": await book.last()},
        "models": await request.app.state.providers.describe(),
    }


@router.get("/api/onboarding/status")
async def onboarding_status(request: Request, book: Book, me: Me) -> JsonReply:
    """Always complete: threadkeep is set up from the command line, so hermes' wizard never shows."""
    return reply(await _onboarding(request, book, me))


@router.post("/api/onboarding/complete")
async def onboarding_complete(request: Request, book: Book, me: Me) -> JsonReply:
    return reply(await _onboarding(request, book, me))


def _profile(book: Book) -> dict[str, Any]:
    return {"name": DEFAULT_PROFILE, "path": book.home.path, "is_default": True, "is_active": True,
            "gateway_running": False, "model": None, "provider": None, "has_env": False, "skill_count": 0}


@router.get("/api/profile/active")
async def active_profile(book: Book) -> JsonReply:
    """`{name, path}`: threadkeep has one profile per user, `default`, rooted at their workspace."""
    return reply({"name": DEFAULT_PROFILE, "path": book.home.path})


@router.get("/api/profiles")
async def list_profiles(book: Book) -> JsonReply:
    return reply({"profiles": [_profile(book)], "active": DEFAULT_PROFILE})
