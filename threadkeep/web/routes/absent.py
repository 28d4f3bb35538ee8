"""hermes-webui features threadkeep does not have, answered as hermes answers when there is nothing to
report, so hermes' page polls them without errors: scheduled jobs (`/api/crons/recent`) and an agent's
clarifying questions (`/api/clarify/pending`; threadkeep's agent asks in the chat instead).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..responses import JsonReply, reply
from .deps import QuerySessionId, Store, check_session_id

router = APIRouter(tags=["hermes"])


@router.get("/api/crons/recent")
async def recent_crons(since: Annotated[float, Query(ge=0)] = 0) -> JsonReply:
    """Jobs finished since `since`: threadkeep runs none, so never any."""
    return reply({"completions": [], "since": since})


@router.get("/api/clarify/pending")
async def pending_clarify(session_id: QuerySessionId, store: Store) -> JsonReply:
    """`{"pending": null}` for a session of the user's (404 for any other)."""
    await store.get(check_session_id(session_id))
    return reply({"pending": None})
