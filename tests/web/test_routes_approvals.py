"""Approval endpoints (hermes-webui's shapes) over the app's real approvals object, in-process on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

SID = "0123456789ab"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'threadkeep.db'}"


@pytest.fixture(autouse=True)
async def _session(store: Any, tmp_path: Path) -> None:
    """Approvals belong to a session of the acting user: the one these tests use exists."""
    await store.create(session_id=SID, workspace=str(tmp_path))


def tool_call(name: str = "run_command", **args: Any) -> dict[str, Any]:
    return {"id": "call_1", "name": name, "args": args or {"command": "rm -rf build"}}


async def test_nothing_pending(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/approval/pending", params={"session_id": SID})
    assert reply.status_code == 200
    assert reply.json() == {"pending": None, "pending_count": 0, "approvals": []}


async def test_pending_then_respond_once(client: httpx.AsyncClient, app: Any) -> None:
    approval_id, decision = app.state.approvals.request(SID, tool_call())
    app.state.approvals.request(SID, tool_call("write_file", path="a.txt", content="x"))
    body = (await client.get("/api/approval/pending", params={"session_id": SID})).json()
    assert body["pending_count"] == 2
    assert body["pending"]["approval_id"] == approval_id
    assert body["pending"]["command"] == "rm -rf build"
    assert body["pending"]["tool"] == "run_command"
    assert [a["tool"] for a in body["approvals"]] == ["run_command", "write_file"]
    reply = await client.post("/api/approval/respond",
                              json={"session_id": SID, "approval_id": approval_id, "choice": "once"})
    assert reply.status_code == 200
    assert reply.json() == {"ok": True, "choice": "once", "approval_id": approval_id}
    assert await asyncio.wait_for(decision, 1) == "once"
    await asyncio.sleep(0)
    left = (await client.get("/api/approval/pending", params={"session_id": SID})).json()
    assert left["pending_count"] == 1 and left["pending"]["tool"] == "write_file"


async def test_session_choice_lets_later_calls_run_unasked(client: httpx.AsyncClient, app: Any) -> None:
    approval_id, decision = app.state.approvals.request(SID, tool_call())
    await client.post("/api/approval/respond", json={"session_id": SID, "approval_id": approval_id,
                                                     "choice": "session"})
    assert await decision == "session"
    assert app.state.approvals.allowed(SID, "run_command")


async def test_respond_without_id_answers_the_oldest_and_defaults_to_deny(client: httpx.AsyncClient,
                                                                         app: Any) -> None:
    _, decision = app.state.approvals.request(SID, tool_call())
    reply = await client.post("/api/approval/respond", json={"session_id": SID})
    assert reply.json()["choice"] == "deny"
    assert await decision == "deny"


async def test_bad_requests(client: httpx.AsyncClient, app: Any) -> None:
    approval_id, _ = app.state.approvals.request(SID, tool_call())
    cases: list[tuple[dict[str, Any], int]] = [
        ({"session_id": SID, "approval_id": approval_id, "choice": "sometimes"}, 400),
        ({"session_id": SID, "approval_id": "nope", "choice": "once"}, 404),
        ({"session_id": "fedcba987654", "choice": "once"}, 404),
        ({"approval_id": approval_id, "choice": "once"}, 400),
        ({"session_id": "../x", "choice": "once"}, 400),
    ]
    for body, status in cases:
        reply = await client.post("/api/approval/respond", json=body)
        assert reply.status_code == status, (body, reply.text)
        assert reply.json()["error"]
    assert (await client.get("/api/approval/pending")).status_code == 400
    assert (await client.get("/api/approval/pending", params={"session_id": SID})).json()["pending_count"] == 1
