"""Isolation, route by route, generated from the OpenAPI route table so a new route cannot escape.

Every route is called (a) with no credentials → 401 (except the public ones), (b) as user B on user A's
objects → 404 (or B's own, A-free answer for routes that take no object of A's; 403 for admin routes), and
(c) with a read-scoped token on a route that changes something → 403. The test fails when the app has a route
that `EXPECTED` does not describe. Afterwards A's objects are all still there, unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.accounts import add_user, anonymous, logged_in, token_client

pytestmark = pytest.mark.usefixtures("users_app")


@dataclass
class A:
    """User A's objects, which B must never reach."""

    sid: str = ""
    streamed_sid: str = ""
    stream_id: str = ""
    pid: str = ""
    token_id: str = ""
    queue_id: int = 0
    approval_id: str = ""
    b_sid: str = ""  # B's own session, for routes that combine it with one of A's objects
    ws: str = ""  # a workspace A saved


Request = Callable[[A], dict[str, Any]]


@dataclass
class Case:
    request: Request = field(default=lambda a: {})
    cross: int | str = 404  # B on A's objects: a status, "own" (2xx, nothing of A's in the reply), "fresh" (as own,
    # on a login of its own because the call ends it)
    public: bool = False


def q(**params: Any) -> Request:
    return lambda a: {"params": {k: (v(a) if callable(v) else v) for k, v in params.items()}}


def body(**values: Any) -> Request:
    return lambda a: {"json": {k: (v(a) if callable(v) else v) for k, v in values.items()}}


SID = lambda a: a.sid  # noqa: E731
EXPECTED: dict[tuple[str, str], Case] = {
    ("GET", "/health"): Case(public=True, cross="own"),
    ("POST", "/api/auth/login"): Case(body(username="nobody", password="x" * 8), public=True, cross=401),
    ("GET", "/api/auth/status"): Case(public=True, cross="own"),
    ("GET", "/api/auth/me"): Case(cross="own"),
    ("POST", "/api/auth/logout"): Case(cross="fresh"),
    ("POST", "/api/auth/logout_all"): Case(cross="fresh"),
    ("POST", "/api/auth/password"): Case(body(current_password="wrong", new_password="whatever-123"), cross=403),
    ("GET", "/api/auth/tokens"): Case(cross="own"),
    ("POST", "/api/auth/tokens"): Case(body(name="mine", scope="read"), cross="own"),
    ("POST", "/api/auth/tokens/revoke"): Case(body(id=lambda a: a.token_id)),
    ("GET", "/api/auth/oidc/login"): Case(public=True, cross=404),  # not configured here
    ("GET", "/api/auth/oidc/callback"): Case(public=True, cross=404),
    ("GET", "/api/admin/users"): Case(cross=403),
    ("POST", "/api/admin/users/create"): Case(body(username="mallory", password="x" * 10), cross=403),
    ("POST", "/api/admin/users/update"): Case(body(user_id="local", role="user"), cross=403),
    ("POST", "/api/admin/users/password"): Case(body(user_id="local", password="x" * 10), cross=403),
    ("POST", "/api/admin/users/logout"): Case(body(user_id="local"), cross=403),
    ("POST", "/api/admin/users/delete"): Case(body(user_id="local"), cross=403),
    ("GET", "/api/admin/audit"): Case(cross=403),
    ("POST", "/api/session/new"): Case(body(project_id=lambda a: a.pid)),
    ("POST", "/api/session/import"): Case(body(title="b's", messages=[{"role": "user", "content": "hi"}]),
                                          cross="own"),
    ("GET", "/api/session"): Case(q(session_id=SID)),
    ("GET", "/api/sessions"): Case(cross="own"),
    ("POST", "/api/session/rename"): Case(body(session_id=SID, title="stolen")),
    ("POST", "/api/session/update"): Case(body(session_id=SID, model="x")),
    ("POST", "/api/session/pin"): Case(body(session_id=SID)),
    ("POST", "/api/session/archive"): Case(body(session_id=SID)),
    ("POST", "/api/session/move"): Case(body(session_id=lambda a: a.b_sid, project_id=lambda a: a.pid)),
    ("POST", "/api/session/delete"): Case(body(session_id=SID), cross="own"),  # idempotent: ok, nothing deleted
    ("POST", "/api/sessions/cleanup_zero_message"): Case(cross="own"),
    ("POST", "/api/sessions/cleanup"): Case(cross="own"),
    ("POST", "/api/session/retry"): Case(body(session_id=SID)),
    ("POST", "/api/session/undo"): Case(body(session_id=SID)),
    ("POST", "/api/session/truncate"): Case(body(session_id=SID, keep_count=0)),
    ("POST", "/api/session/clear"): Case(body(session_id=SID)),
    ("POST", "/api/session/branch"): Case(body(session_id=SID)),
    ("POST", "/api/session/append"): Case(body(session_id=SID, messages=[{"role": "user", "content": "x"}])),
    ("GET", "/api/session/status"): Case(q(session_id=SID)),
    ("GET", "/api/session/usage"): Case(q(session_id=SID)),
    ("GET", "/api/session/export"): Case(q(session_id=SID)),
    ("GET", "/api/sessions/search"): Case(q(q="zebra"), cross="own"),
    ("GET", "/api/projects"): Case(cross="own"),
    ("POST", "/api/projects/create"): Case(body(name="b's project"), cross="own"),
    ("POST", "/api/projects/rename"): Case(body(project_id=lambda a: a.pid, name="stolen")),
    ("POST", "/api/projects/delete"): Case(body(project_id=lambda a: a.pid), cross="own"),  # idempotent, as delete
    ("GET", "/api/models"): Case(cross="own"),
    ("POST", "/api/chat/start"): Case(body(session_id=SID, message="hello")),
    ("GET", "/api/chat/stream"): Case(q(stream_id=lambda a: a.stream_id)),
    ("GET", "/api/chat/cancel"): Case(q(stream_id=lambda a: a.stream_id)),
    ("POST", "/api/chat/cancel"): Case(body(stream_id=lambda a: a.stream_id)),
    ("GET", "/api/chat/stream/status"): Case(q(stream_id=lambda a: a.stream_id)),
    ("GET", "/api/chat/queue"): Case(q(session_id=SID)),
    ("POST", "/api/chat/queue/clear"): Case(body(session_id=SID)),
    ("GET", "/api/list"): Case(q(session_id=SID)),
    ("GET", "/api/file"): Case(q(session_id=SID, path="secret.txt")),
    ("GET", "/api/file/raw"): Case(q(session_id=SID, path="secret.txt")),
    ("POST", "/api/file/save"): Case(body(session_id=SID, path="secret.txt", content="pwned")),
    ("POST", "/api/file/create"): Case(body(session_id=SID, path="new.txt", content="x")),
    ("POST", "/api/file/create-dir"): Case(body(session_id=SID, path="newdir")),
    ("POST", "/api/file/delete"): Case(body(session_id=SID, path="secret.txt")),
    ("POST", "/api/file/rename"): Case(body(session_id=SID, path="secret.txt", new_name="moved.txt")),
    ("POST", "/api/upload"): Case(lambda a: {"data": {"session_id": a.sid, "path": "."},
                                             "files": {"file": ("up.txt", b"x", "text/plain")}}),
    ("GET", "/api/workspaces"): Case(cross="own"),
    ("POST", "/api/workspaces/add"): Case(body(path=lambda a: a.ws), cross=400),  # not under B's own folder
    ("POST", "/api/workspaces/remove"): Case(body(path=lambda a: a.ws), cross="own"),  # B's list, A's untouched
    ("POST", "/api/workspaces/rename"): Case(body(path=lambda a: a.ws, name="stolen")),
    ("GET", "/api/workspaces/suggest"): Case(q(prefix=lambda a: a.ws), cross="own"),
    ("GET", "/api/git-info"): Case(q(session_id=SID)),
    ("GET", "/api/settings"): Case(cross="own"),
    ("POST", "/api/settings"): Case(body(theme="light", default_workspace=lambda a: a.ws), cross="own"),
    ("GET", "/api/reasoning"): Case(cross="own"),
    ("POST", "/api/reasoning"): Case(body(effort="low"), cross="own"),
    ("GET", "/api/onboarding/status"): Case(cross="own"),
    ("POST", "/api/onboarding/complete"): Case(cross="own"),
    ("GET", "/api/profile/active"): Case(cross="own"),
    ("GET", "/api/profiles"): Case(cross="own"),
    ("GET", "/api/crons/recent"): Case(cross="own"),
    ("GET", "/api/clarify/pending"): Case(q(session_id=SID)),
    ("GET", "/api/approval/pending"): Case(q(session_id=SID)),
    ("POST", "/api/approval/respond"): Case(body(session_id=SID, approval_id=lambda a: a.approval_id,
                                                 choice="once")),
}


def routes(app: Any) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}


async def a_objects(app: Any, a: httpx.AsyncClient, b: httpx.AsyncClient) -> A:
    ids = A()
    made = await a.post("/api/session/import", json={"title": "zebra plans", "messages": [
        {"role": "user", "content": "zebra question"}, {"role": "assistant", "content": "zebra answer"}]})
    ids.sid = made.json()["session"]["session_id"]
    assert (await a.post("/api/file/create", json={"session_id": ids.sid, "path": "secret.txt",
                                                   "content": "a's secret"})).status_code == 200
    workspace = made.json()["session"]["workspace"]
    assert (await a.post("/api/file/create-dir", json={"session_id": ids.sid, "path": "zebra-ws"})).status_code == 200
    ids.ws = f"{workspace}/zebra-ws"
    assert (await a.post("/api/workspaces/add", json={"path": ids.ws, "name": "zebra plans"})).status_code == 200
    assert (await a.post("/api/settings", json={"theme": "system", "default_workspace": ids.ws})).status_code == 200
    ids.pid = (await a.post("/api/projects/create", json={"name": "a's project"})).json()["project"]["project_id"]
    ids.token_id = (await a.post("/api/auth/tokens", json={"name": "a's", "scope": "read"})).json()["id"]
    ids.streamed_sid = (await a.post("/api/session/new", json={})).json()["session"]["session_id"]
    started = await a.post("/api/chat/start", json={"session_id": ids.streamed_sid, "message": "hello"})
    ids.stream_id = started.json()["stream_id"]
    for _ in range(200):  # the demo model answers at once here; its stream stays readable for the TTL
        status = (await a.get("/api/chat/stream/status", params={"stream_id": ids.stream_id})).json()
        if not status["running"]:
            break
        await asyncio.sleep(0.02)
    queued = await app.state.turns.ts.enqueue(ids.sid, "later", None, [])
    ids.queue_id = queued.id
    ids.approval_id, _ = app.state.approvals.request(ids.sid, {"id": "c1", "name": "run_command",
                                                               "args": {"command": "ls"}})
    ids.b_sid = (await b.post("/api/session/new", json={})).json()["session"]["session_id"]
    return ids


def _call(client: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any]) -> Any:
    if method == "GET" and path == "/api/chat/stream":
        return client.get(path, params=kwargs.get("params"), timeout=5)
    return client.request(method, path, **kwargs)


async def test_every_route_is_in_the_expectations_table(users_app: Any) -> None:
    missing = routes(users_app) - set(EXPECTED)
    stale = set(EXPECTED) - routes(users_app)
    assert not missing, f"routes without an isolation expectation: {sorted(missing)}"
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"


async def test_no_credentials_is_401_except_public_routes(users_app: Any) -> None:
    a, b = await _users(users_app)
    ids = await a_objects(users_app, a, b)
    async with anonymous(users_app) as nobody:
        for (method, path), case in sorted(EXPECTED.items()):
            reply = await _call(nobody, method, path, case.request(ids))
            if case.public:  # answered by the route itself (a wrong login is its own 401), not the login gate
                assert reply.json().get("error") != "Authentication required", (method, path, reply.text)
            else:
                assert reply.status_code == 401, (method, path, reply.status_code, reply.text)
                assert "error" in reply.json()


async def test_user_b_never_reaches_user_a(users_app: Any) -> None:
    a, b = await _users(users_app)
    ids = await a_objects(users_app, a, b)
    before = await _snapshot(a, ids)
    for (method, path), case in sorted(EXPECTED.items()):
        reply = await _call(b, method, path, case.request(ids))
        if case.cross == "fresh":  # that call ended B's logins: log in again
            b = await logged_in(users_app, "bob")
        if isinstance(case.cross, int):
            assert reply.status_code == case.cross, (method, path, reply.status_code, reply.text)
        else:
            assert 200 <= reply.status_code < 300, (method, path, reply.status_code, reply.text)
            for secret in (ids.sid, ids.streamed_sid, ids.pid, ids.token_id, "zebra plans", "zebra q", "a's secret"):
                assert secret not in reply.text, (method, path, secret)
    assert await _snapshot(a, ids) == before


async def test_read_token_cannot_change_anything(users_app: Any) -> None:
    a, b = await _users(users_app)
    ids = await a_objects(users_app, a, b)
    reader = await token_client(users_app, b, "read")
    writer = await token_client(users_app, b, "write")
    for (method, path), case in sorted(EXPECTED.items()):
        if case.public:
            continue
        if method != "GET":
            reply = await _call(reader, method, path, case.request(ids))
            assert reply.status_code == 403, (method, path, reply.status_code, reply.text)
        if path.startswith("/api/admin/"):  # and only an admin-scoped credential reaches admin routes
            reply = await _call(writer, method, path, case.request(ids))
            assert reply.status_code == 403, (method, path, reply.status_code, reply.text)
    ok = await reader.get("/api/sessions")
    assert ok.status_code == 200 and ids.sid not in ok.text


async def _users(app: Any) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    """Alice (an admin: admins manage accounts, not others' chats) and Bob, each logged in."""
    await add_user(app, "alice", role="admin")
    await add_user(app, "bob")
    return await logged_in(app, "alice"), await logged_in(app, "bob")


async def _snapshot(a: httpx.AsyncClient, ids: A) -> Any:
    session = (await a.get("/api/session", params={"session_id": ids.sid})).json()["session"]
    projects = (await a.get("/api/projects")).json()["projects"]
    tokens = (await a.get("/api/auth/tokens")).json()["tokens"]
    file = (await a.get("/api/file", params={"session_id": ids.sid, "path": "secret.txt"})).json()
    queue = (await a.get("/api/chat/queue", params={"session_id": ids.sid})).json()["queue"]
    pending = (await a.get("/api/approval/pending", params={"session_id": ids.sid})).json()["pending_count"]
    listed = sorted(s["session_id"] for s in (await a.get("/api/sessions")).json()["sessions"])
    saved = (await a.get("/api/workspaces")).json()["workspaces"]
    settings = (await a.get("/api/settings")).json()
    reasoning = (await a.get("/api/reasoning")).json()
    return (session["title"], session["pinned"], session["archived"], session["model"], session["project_id"],
            [m["content"] for m in session["messages"]], [(p["project_id"], p["name"]) for p in projects],
            [(t["id"], t["revoked"]) for t in tokens], file.get("content"), [x["queue_id"] for x in queue],
            pending, listed, saved, settings["theme"], settings["default_workspace"], reasoning)
