"""Shared fixtures: a fresh app per test on SQLite and PostgreSQL, a live server, and the seed contract's names.

The seed contract (../shared/seed/test_session_ops.py) imports TEST_BASE, _post and make_session_tracked
from here and uses the fixture cleanup_test_sessions; TEST_BASE is a real `threadkeep serve` subprocess.
"""

from __future__ import annotations

import json
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import postgres_database, postgres_unavailable
from tests.live import LiveServer, free_port

# Fixtures `fake_openai`, `fake_anthropic`, `fake_oidc`: real local HTTP fakes of model and identity providers;
# `users_settings` / `users_app`: an app in `--auth users` mode.
pytest_plugins = ["tests.fakes", "tests.accounts"]

# -- no network but loopback ----------------------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {host!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]

# -- the seed contract's live server --------------------------------------------------------------------

_LIVE_DIR = Path(tempfile.mkdtemp(prefix="threadkeep-live-"))
_LIVE = LiveServer(_LIVE_DIR, free_port())
TEST_BASE = _LIVE.base


@pytest.fixture(scope="session", autouse=True)
def _live_server() -> Iterator[LiveServer]:
    """Started lazily by the first test that needs it (see `live_server`), stopped at the end."""
    yield _LIVE
    _LIVE.stop()


@pytest.fixture(scope="session")
def live_server(_live_server: LiveServer) -> LiveServer:
    if _live_server.proc is None:
        _live_server.start()
    return _live_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: Playwright's sync API keeps an event loop running in this thread for the rest of the
    # session, and no asyncio test could run after it.
    items.sort(key=lambda item: "/tests/ui/" in str(item.path))
    # Tests that talk to TEST_BASE without asking for a fixture (the seed contract does) still get a server.
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and getattr(module, "TEST_BASE", None) == TEST_BASE:
            item.fixturenames.insert(0, "live_server")  # type: ignore[attr-defined]


def _post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON; the decoded JSON reply, also for HTTP errors ({} when the reply is not JSON)."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            raw = reply.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def make_session_tracked(created_list: list[str], ws: str | Path | None = None) -> tuple[str, Path]:
    body: dict[str, Any] = {} if ws is None else {"workspace": str(ws)}
    reply = _post(TEST_BASE, "/api/session/new", body)
    session = reply["session"]
    created_list.append(session["session_id"])
    return session["session_id"], Path(session["workspace"])


@pytest.fixture
def cleanup_test_sessions(live_server: LiveServer) -> Iterator[list[str]]:
    created: list[str] = []
    yield created
    for session_id in created:
        _post(TEST_BASE, "/api/session/delete", {"session_id": session_id})
    _post(TEST_BASE, "/api/sessions/cleanup_zero_message", {})


# -- in-process apps on each database --------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'threadkeep.db'}"
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def live_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """For live servers: None (the server's own SQLite file) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_database() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Any:
    from threadkeep.settings import Settings

    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, workspace_roots=[tmp_path], access_log=False,
        demo_token_delay=0,
    )


@pytest.fixture
async def app(settings: Any) -> AsyncIterator[Any]:
    from threadkeep.web.app import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as c:
        yield c


@pytest.fixture
def store(app: Any) -> Any:
    from threadkeep.db.schema import LOCAL_USER_ID

    return app.state.sessions.of(LOCAL_USER_ID)
