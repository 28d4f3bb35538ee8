"""Transcript routes: append, retry, undo, truncate, clear, branch, status, usage and export.

Each handler validates, calls one store verb (one transaction under the session's lock) and shapes the
hermes-compatible reply.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from ...errors import BadRequest
from ...sessions.exporting import session_json, session_markdown
from ...sessions.messages import MessageError, parse_messages
from ..responses import JsonReply, reply
from .deps import Count, Messages, Projects, QuerySessionId, SessionRef, Store, check_session_id

router = APIRouter(tags=["transcript"])


class Truncate(SessionRef):
    keep_count: Count


class Branch(SessionRef):
    keep_count: Count | None = None


class Append(SessionRef):
    messages: Annotated[Messages, Field(min_length=1)]


@router.post("/api/session/retry")
async def retry(body: SessionRef, store: Store) -> JsonReply:
    cut = await store.retry(check_session_id(body.session_id))
    return reply({"ok": True, "last_user_text": cut.last_user_text, "removed_count": cut.removed_count})


@router.post("/api/session/undo")
async def undo(body: SessionRef, store: Store) -> JsonReply:
    cut = await store.undo(check_session_id(body.session_id))
    return reply({"ok": True, "removed_count": cut.removed_count, "removed_preview": cut.removed_preview})


@router.post("/api/session/truncate")
async def truncate(body: Truncate, store: Store) -> JsonReply:
    session_id = check_session_id(body.session_id)
    await store.truncate(session_id, body.keep_count)
    page = await store.page_of_messages(session_id)  # hermes answers with the kept messages
    return reply({"ok": True, "session": page.session.full([m.to_dict() for m in page.messages])})


@router.post("/api/session/clear")
async def clear(body: SessionRef, store: Store) -> JsonReply:
    session = await store.clear(check_session_id(body.session_id))
    return reply({"ok": True, "session": session.full([])})


@router.post("/api/session/branch")
async def branch(body: Branch, store: Store) -> JsonReply:
    session = await store.branch(check_session_id(body.session_id), body.keep_count)
    return reply({"ok": True, "session": session.full(None)})


@router.post("/api/session/append")
async def append(body: Append, store: Store) -> JsonReply:
    """Add messages at the end of a transcript (for clients that run their own agent loop)."""
    session_id = check_session_id(body.session_id)
    try:
        msgs = parse_messages(body.messages)
    except MessageError as exc:
        raise BadRequest(str(exc)) from None
    if not msgs:
        raise BadRequest("messages must not be empty")
    session = await store.append(session_id, msgs)
    return reply({"ok": True, "session": session.compact()})


@router.get("/api/session/status")
async def status(session_id: QuerySessionId, store: Store) -> JsonReply:
    s = await store.get(session_id)
    return reply(
        {
            "session_id": s.id,
            "title": s.title,
            "model": s.model,
            "workspace": s.workspace,
            "message_count": s.message_count,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
            "agent_running": s.active_stream_id is not None,
            "active_stream_id": s.active_stream_id,
            "input_tokens": s.input_tokens,
            "output_tokens": s.output_tokens,
            "total_tokens": s.total_tokens,
            "estimated_cost": s.estimated_cost,
        }
    )


@router.get("/api/session/usage")
async def usage(session_id: QuerySessionId, store: Store, request: Request) -> JsonReply:
    """Token totals and estimated cost, plus a breakdown per model that answered in the session."""
    s = await store.get(session_id)
    pricing = request.app.state.pricing
    by_model = [
        {"model": model, "input_tokens": i, "output_tokens": o, "total_tokens": i + o, "messages": n,
         "estimated_cost": pricing.cost(model, i, o)}
        for model, i, o, n in await store.usage_by_model(session_id)
    ]
    return reply(
        {
            "session_id": s.id,
            "input_tokens": s.input_tokens,
            "output_tokens": s.output_tokens,
            "total_tokens": s.total_tokens,
            "estimated_cost": s.estimated_cost,
            "model": s.model,
            "by_model": by_model,
        }
    )


@router.get("/api/session/export")
async def export(
    session_id: QuerySessionId, store: Store, projects: Projects,
    format: Annotated[Literal["json", "md"], Query()] = "json",
) -> Any:
    """The session as a download; with its project (as the CLI export has it), so an import recreates it."""
    page = await store.page_of_messages(session_id)
    project = await projects.find(page.session.project_id)
    if format == "md":
        return session_markdown(page.session, page.messages, project)
    return session_json(page.session, page.messages, project)
