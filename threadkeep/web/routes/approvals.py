"""Approval routes (hermes-webui's shapes): what tool calls of a session wait for the user, and the answer.

`GET /api/approval/pending?session_id=` and `POST /api/approval/respond {session_id, approval_id, choice}`
over `app.state.approvals`; the rules (choices, "session" memory) live in `approvals`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from ...chat.approvals import Approvals, parse_choice
from ..responses import JsonReply, reply
from .deps import QuerySessionId, SessionRef, Store, check_session_id

router = APIRouter(tags=["approvals"])


async def get_approvals(request: Request) -> Approvals:
    approvals: Approvals = request.app.state.approvals
    return approvals


AppApprovals = Annotated[Approvals, Depends(get_approvals)]


class Respond(SessionRef):
    approval_id: Annotated[str, Field(max_length=100)] | None = None
    choice: Literal["once", "session", "always", "deny"] = "deny"


@router.get("/api/approval/pending")
async def pending(session_id: QuerySessionId, approvals: AppApprovals, store: Store) -> JsonReply:
    """The oldest pending approval as `pending` (null when none), their count, and all of them."""
    await store.get(session_id)  # another user's session is not found
    waiting = await approvals.pending(session_id)
    return reply({"pending": waiting[0] if waiting else None, "pending_count": len(waiting),
                  "approvals": waiting})


@router.post("/api/approval/respond")
async def respond(body: Respond, approvals: AppApprovals, store: Store) -> JsonReply:
    """Answer one approval (`approval_id`, else the oldest): once | session | deny."""
    session_id = check_session_id(body.session_id)
    await store.get(session_id)
    approval = await approvals.respond(session_id, body.approval_id, body.choice)
    return reply({"ok": True, "choice": parse_choice(body.choice), "approval_id": approval.approval_id})
