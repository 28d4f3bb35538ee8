"""Session routes: create, import, read, list, and change a session's own fields (not its transcript).

Handlers are thin: validate the request, call one store verb, shape the hermes-compatible reply.
Transcript operations (retry, undo, truncate, branch, ...) are in `routes/transcript`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from ...chat.turns import Turns
from ...errors import BadRequest
from ...sessions.messages import MessageError, parse_messages
from ...sessions.session import DEFAULT_TITLE
from ..responses import JsonReply, reply
from .deps import INT32_MAX, Body, Messages, Projects, QuerySessionId, SessionRef, Store, check_session_id
from .workspaces import Book

router = APIRouter(tags=["sessions"])

Title = Annotated[str, Field(max_length=500)]
DEFAULT_PROFILE = "default"  # threadkeep's only profile (routes/preferences)
TITLE_MAX = 80  # hermes cuts renamed titles here
IMPORTED_TITLE = "Imported session"
# An absolute path (or ~): whether it exists, is a folder and lies under the user's roots is checked on use.
Workspace = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^(/|~|[A-Za-z]:[\\/])")]


class NewSession(Body):
    workspace: Workspace | None = None
    model: str | None = None
    title: Title | None = None
    profile: str | None = None
    project_id: str | None = None


class ImportSession(Body):
    title: Title | None = None
    messages: Messages | None = None  # required, in hermes' words (see the handler)
    model: str | None = None
    workspace: Workspace | None = None
    tool_calls: list[Any] | None = None
    pinned: bool = False
    profile: str | None = None


class Rename(SessionRef):
    # As hermes: stripped and cut to 80 characters; all blanks become "Untitled".
    title: Annotated[str, Field(min_length=1, max_length=10_000)]


class UpdateSession(SessionRef):
    workspace: Workspace | None = None
    model: str | None = None
    allow_network: bool | None = None  # may the agent's commands use the network (sandboxed ones cannot)


class Pin(SessionRef):
    pinned: bool = True


class Archive(SessionRef):
    archived: bool = True


class Move(SessionRef):
    project_id: str | None = None


@router.post("/api/session/new")
async def new_session(
    store: Store, book: Book, projects: Projects, body: NewSession | None = None
) -> JsonReply:
    """A new session, in the workspace asked for or else the one the user worked in last."""
    body = body or NewSession()
    if body.project_id is not None:
        await projects.get(body.project_id)
    session = await store.create(
        workspace=await book.for_new_session(body.workspace),
        title=body.title,
        model=body.model,
        profile=body.profile or DEFAULT_PROFILE,  # hermes stamps the active profile
        project_id=body.project_id,
    )
    return reply({"session": session.full([])})


@router.post("/api/session/import")
async def import_session(body: ImportSession, store: Store, book: Book) -> JsonReply:
    """A new session holding the given messages; hermes' reply (the session with its messages)."""
    if body.messages is None:
        raise BadRequest('JSON must contain a "messages" array')
    try:
        msgs = parse_messages(body.messages)
    except MessageError as exc:
        raise BadRequest(str(exc)) from None
    session = await store.create(
        workspace=await book.for_new_session(body.workspace),
        title=body.title or IMPORTED_TITLE,
        model=body.model,
        profile=body.profile,
        pinned=body.pinned,
        messages=msgs,
        tool_calls=body.tool_calls,
    )
    return reply({"ok": True, "session": session.full([m.to_dict() for m in msgs])})


@router.get("/api/session")
async def get_session(
    session_id: QuerySessionId,
    store: Store,
    messages: Annotated[int, Query(ge=0, le=1)] = 1,
    msg_limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    msg_before: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,
) -> JsonReply:
    """A session; `messages=0` for metadata only; `msg_limit` (+ `msg_before`) pages newest-first."""
    if not messages:
        return reply({"session": (await store.get(session_id)).full(None)})
    page = await store.page_of_messages(session_id, limit=msg_limit, before=msg_before)
    out = page.session.full([m.to_dict() for m in page.messages])
    if msg_limit is not None:
        first_seq = page.messages[0].seq if page.messages else msg_before
        out["has_more"] = page.has_more
        out["msg_before"] = first_seq if page.has_more else None
    return reply({"session": out})


def listed(compact: dict[str, Any]) -> dict[str, Any]:
    """A session as hermes lists it (list and search): one without a profile is the default profile's."""
    if compact.get("profile") is None:
        compact["profile"] = DEFAULT_PROFILE
    return compact


@router.get("/api/sessions")
async def list_sessions(
    store: Store,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    cursor: Annotated[str | None, Query(max_length=500, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    archived: bool | None = None,
    pinned: bool | None = None,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
) -> JsonReply:
    """Sessions, newest activity first; all of them unless `limit` is given (then `next_cursor` pages)."""
    page = await store.list(limit=limit, cursor=cursor, archived=archived, pinned=pinned, project_id=project_id)
    # hermes' page shows only the active profile's sessions: one without a profile is the default one's.
    out: dict[str, Any] = {"sessions": [listed(s.compact()) for s in page.sessions], "cli_count": 0}
    if limit is not None:
        out["next_cursor"] = page.next_cursor
    return reply(out)


@router.post("/api/session/rename")
async def rename(body: Rename, store: Store) -> JsonReply:
    title = body.title.strip()[:TITLE_MAX] or DEFAULT_TITLE
    session = await store.patch(check_session_id(body.session_id), title=title)
    return reply({"session": session.compact()})


@router.post("/api/session/update")
async def update_session(body: UpdateSession, store: Store, book: Book) -> JsonReply:
    """Change the workspace (under the user's roots or one they saved; it becomes their last one), the model
    or the network permission."""
    session_id = check_session_id(body.session_id)
    values: dict[str, Any] = {}
    if body.workspace is not None:
        values["workspace"] = await book.resolve(body.workspace)
    if body.model is not None:
        values["model"] = body.model
    if body.allow_network is not None:
        values["allow_network"] = body.allow_network
    session = await store.patch(session_id, **values) if values else await store.get(session_id)
    if "workspace" in values:
        await book.remember(values["workspace"])
    return reply({"session": session.full(None)})


@router.post("/api/session/pin")
async def pin(body: Pin, store: Store) -> JsonReply:
    session = await store.patch(check_session_id(body.session_id), pinned=body.pinned)
    return reply({"ok": True, "session": session.compact()})


@router.post("/api/session/archive")
async def archive(body: Archive, store: Store) -> JsonReply:
    session = await store.patch(check_session_id(body.session_id), archived=body.archived)
    return reply({"ok": True, "session": session.compact()})


@router.post("/api/session/move")
async def move(body: Move, store: Store, projects: Projects) -> JsonReply:
    session_id = check_session_id(body.session_id)
    if body.project_id is not None:
        await projects.get(body.project_id)
    session = await store.patch(session_id, project_id=body.project_id)
    return reply({"ok": True, "session": session.compact()})


@router.post("/api/session/delete")
async def delete(body: SessionRef, store: Store, request: Request) -> JsonReply:
    """Delete for good; a turn running on it is cancelled and its approvals are forgotten."""
    turns: Turns = request.app.state.turns
    await turns.delete_session(store, check_session_id(body.session_id))
    return reply({"ok": True})


@router.post("/api/sessions/cleanup_zero_message")
async def cleanup_zero_message(store: Store) -> JsonReply:
    """Delete every session without messages (hermes' test fixtures call it after each test)."""
    return reply({"ok": True, "cleaned": await store.delete_empty()})


@router.post("/api/sessions/cleanup")
async def cleanup(store: Store) -> JsonReply:
    """Delete the sessions without messages that were never named (still "Untitled"), as hermes does."""
    return reply({"ok": True, "cleaned": await store.delete_empty(untitled_only=True)})

