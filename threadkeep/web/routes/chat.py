"""Chat routes: start a turn, follow its events (SSE, resumable), cancel it, and the message queue.

hermes-webui's shapes: `POST /api/chat/start` → `{stream_id, session_id}`, 409 with `active_stream_id` while
a turn runs (or, with `"queue": true`, the message is queued server-side and runs after it);
`GET /api/chat/stream` relays every event with an `id:` and resumes after `Last-Event-ID` or `?after=`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import Field

from ...chat.sse import EventStreamResponse, resume_point
from ...chat.streams import StreamNotFound
from ...chat.turn_store import TurnStore
from ...chat.turns import Turns
from ...errors import BadRequest, NotFound
from ...sessions.store import SessionBusy, SessionStore
from ..responses import JsonReply, reply
from ..security import refuse_cross_origin
from .deps import AppSettings, Body, NotBlank, QuerySessionId, SessionRef, Store, check_session_id, whole_number
from .sessions import Workspace
from .workspaces import Book

router = APIRouter(tags=["chat"])

StreamId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class StartChat(SessionRef):
    message: NotBlank | Annotated[list[Any], Field(min_length=1)]
    model: Annotated[str, Field(max_length=200)] | None = None
    workspace: Workspace | None = None
    attachments: list[Any] | None = None
    queue: bool = False


class ClearQueue(SessionRef):
    queue_id: whole_number(1, 2**53 - 1) | None = None  # type: ignore[valid-type]


class CancelBody(Body):
    stream_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _turns(request: Request) -> Turns:
    turns: Turns = request.app.state.turns
    return turns


def _message_is_empty(message: str | list[Any]) -> bool:
    if isinstance(message, str):
        return not message.strip()
    return not message


@router.post("/api/chat/start")
async def start(body: StartChat, request: Request, store: Store, book: Book) -> JsonReply:
    session_id = check_session_id(body.session_id)
    if _message_is_empty(body.message):
        raise BadRequest("message must not be empty")
    session = await store.get(session_id)
    if body.workspace is not None:
        workspace = await book.resolve(body.workspace)
        if workspace != session.workspace:
            await store.patch(session_id, workspace=workspace)
        await book.remember(workspace)
    turns = _turns(request)
    try:
        stream_id = await turns.start(store, session_id, body.message, body.model, body.attachments)
    except SessionBusy as busy:
        if not body.queue:
            raise
        queued = await turns.ts.enqueue(session_id, body.message, body.model, body.attachments or [])
        position = len(await turns.ts.queued(session_id))
        return reply({"queued": True, "session_id": session_id, "queue_id": queued.id, "position": position,
                      "active_stream_id": busy.extra.get("active_stream_id")})
    return reply({"stream_id": stream_id, "session_id": session_id})


@router.get("/api/chat/stream")
async def stream(
    request: Request,
    settings: AppSettings,
    store: Store,
    stream_id: StreamId,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> EventStreamResponse:
    """Every event of the turn after `Last-Event-ID` (or `?after=`), then the live ones."""
    streams = request.app.state.streams
    await _stream_status(request, store, stream_id)  # 404 for an unknown, expired or not-yours stream, before 200
    subscription = streams.subscribe(stream_id, resume_point(last_event_id, after))
    return EventStreamResponse(subscription, heartbeat=settings.sse_heartbeat_seconds)


async def _stream_status(request: Request, store: SessionStore, stream_id: str) -> dict[str, Any]:
    """The stream's status if it is a turn on one of the acting user's sessions; else not found, exactly as if
    it did not exist."""
    status = dict(await request.app.state.streams.status(stream_id))
    try:
        await store.get(str(status.get("session_id")))
    except NotFound:
        raise StreamNotFound(stream_id) from None
    return status


async def _cancel(request: Request, store: SessionStore, stream_id: str) -> JsonReply:
    status = await _stream_status(request, store, stream_id)
    cancelled = await _turns(request).cancel(stream_id)
    return reply({"ok": True, "cancelled": cancelled, "stream_id": stream_id,
                  "session_id": status.get("session_id")})


# hermes-webui's page cancels with a GET, so the GET stays; as it changes state, it is refused from another
# site's page like a POST (our own page uses the POST).
@router.get("/api/chat/cancel", dependencies=[Depends(refuse_cross_origin)])
async def cancel_get(request: Request, store: Store, stream_id: StreamId) -> JsonReply:
    return await _cancel(request, store, stream_id)


@router.post("/api/chat/cancel")
async def cancel_post(request: Request, store: Store, body: CancelBody) -> JsonReply:
    return await _cancel(request, store, body.stream_id)


@router.get("/api/chat/stream/status")
async def stream_status(request: Request, store: Store, stream_id: StreamId) -> JsonReply:
    status = await _stream_status(request, store, stream_id)
    status["running"] = _turns(request).running(stream_id)
    return reply(status)


@router.get("/api/chat/queue")
async def queue(request: Request, session_id: QuerySessionId, store: Store) -> JsonReply:
    await store.get(session_id)
    ts: TurnStore = _turns(request).ts
    return reply({"session_id": session_id, "queue": [q.to_dict() for q in await ts.queued(session_id)]})


@router.post("/api/chat/queue/clear")
async def clear_queue(request: Request, body: ClearQueue, store: Store) -> JsonReply:
    session_id = check_session_id(body.session_id)
    await store.get(session_id)
    removed = await _turns(request).ts.clear_queue(session_id, body.queue_id)
    return reply({"ok": True, "removed": removed})
