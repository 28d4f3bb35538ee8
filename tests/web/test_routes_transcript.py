"""Transcript routes over HTTP (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.test_routes_sessions import MSGS, imported


async def messages(client: httpx.AsyncClient, sid: str) -> list[Any]:
    r = await client.get("/api/session", params={"session_id": sid})
    return [(m["role"], m["content"]) for m in r.json()["session"]["messages"]]


async def test_retry_and_undo_replies(client: httpx.AsyncClient) -> None:
    sid = await imported(client, [*MSGS, {"role": "tool", "content": "out"}])
    r = await client.post("/api/session/retry", json={"session_id": sid})
    assert r.json() == {"ok": True, "last_user_text": "second question", "removed_count": 3}
    r = await client.post("/api/session/undo", json={"session_id": sid})
    assert r.json() == {"ok": True, "removed_count": 2, "removed_preview": "first question"}
    r = await client.post("/api/session/undo", json={"session_id": sid})
    assert r.status_code == 400 and r.json() == {"error": "Nothing to undo."}
    r = await client.post("/api/session/retry", json={"session_id": sid})
    assert r.json() == {"error": "No previous message to retry."}


async def test_truncate_clear_and_bad_keep_count(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.post("/api/session/truncate", json={"session_id": sid, "keep_count": 1})
    assert r.json()["ok"] is True and r.json()["session"]["message_count"] == 1
    assert [m["content"] for m in r.json()["session"]["messages"]] == ["first question"]  # hermes: full form
    assert await messages(client, sid) == [("user", "first question")]
    for bad in (-1, "2", 1.5, None, True):
        r = await client.post("/api/session/truncate", json={"session_id": sid, "keep_count": bad})
        assert r.status_code == 400 and "keep_count" in r.json()["error"], bad
    r = await client.post("/api/session/clear", json={"session_id": sid})
    assert r.json()["session"]["message_count"] == 0 and r.json()["session"]["title"] == "Untitled"  # as hermes


async def test_branch_copies_messages(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.post("/api/session/branch", json={"session_id": sid, "keep_count": 2})
    branch = r.json()["session"]
    assert branch["title"] == "imp (branch)" and branch["message_count"] == 2
    assert await messages(client, branch["session_id"]) == (await messages(client, sid))[:2]
    whole = (await client.post("/api/session/branch", json={"session_id": sid})).json()["session"]
    assert whole["message_count"] == 4
    r = await client.post("/api/session/branch", json={"session_id": "abcdef123456"})
    assert r.status_code == 404


async def test_append_adds_messages_at_the_end(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.post("/api/session/append", json={"session_id": sid, "messages": [
        {"role": "user", "content": "third"}, {"role": "assistant", "content": "answer 3"}]})
    assert r.json()["session"]["message_count"] == 6
    assert (await messages(client, sid))[-2:] == [("user", "third"), ("assistant", "answer 3")]
    for bad in ([], [{"role": "user"}, {"content": "x"}], "text"):
        r = await client.post("/api/session/append", json={"session_id": sid, "messages": bad})
        assert r.status_code == 400, bad
    assert len(await messages(client, sid)) == 6


async def test_status_and_usage(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    status = (await client.get("/api/session/status", params={"session_id": sid})).json()
    assert status["session_id"] == sid and status["message_count"] == 4 and status["agent_running"] is False
    assert isinstance(status["created_at"], float) and isinstance(status["updated_at"], float)
    assert (status["input_tokens"], status["output_tokens"], status["total_tokens"]) == (12, 3, 15)
    usage = (await client.get("/api/session/usage", params={"session_id": sid})).json()
    assert usage["total_tokens"] == 15 and "estimated_cost" in usage and "model" in usage


async def test_export_json_and_markdown(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.get("/api/session/export", params={"session_id": sid})
    assert r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    doc = r.json()
    assert doc["format"] == "threadkeep.session.v1" and len(doc["messages"]) == 4
    md = await client.get("/api/session/export", params={"session_id": sid, "format": "md"})
    assert md.headers["content-type"].startswith("text/markdown")
    assert "# imp" in md.text and "second question" in md.text
    bad = await client.get("/api/session/export", params={"session_id": sid, "format": "pdf"})
    assert bad.status_code == 400
    assert "project" not in doc


async def test_export_carries_the_sessions_project(client: httpx.AsyncClient) -> None:
    """As the CLI export does: an import elsewhere can recreate the project."""
    sid = await imported(client)
    made = await client.post("/api/projects/create", json={"name": "Garden", "color": "#22c55e"})
    project = made.json()["project"]
    await client.post("/api/session/move", json={"session_id": sid, "project_id": project["project_id"]})
    doc = (await client.get("/api/session/export", params={"session_id": sid})).json()
    assert doc["project_id"] == project["project_id"]
    assert {k: doc["project"][k] for k in ("project_id", "name", "color")} == {
        "project_id": project["project_id"], "name": "Garden", "color": "#22c55e"}
    md = await client.get("/api/session/export", params={"session_id": sid, "format": "md"})
    assert "- Project: Garden" in md.text
    await client.post("/api/projects/delete", json={"project_id": project["project_id"]})
    doc = (await client.get("/api/session/export", params={"session_id": sid})).json()
    assert doc["project_id"] is None and "project" not in doc


@pytest.mark.parametrize("path", ["/api/session/retry", "/api/session/undo", "/api/session/clear",
                                  "/api/session/branch", "/api/session/truncate"])
async def test_transcript_ops_reject_bad_ids(client: httpx.AsyncClient, path: str) -> None:
    for body in ({}, {"session_id": "../../etc"}, {"session_id": 12}, {"session_id": None}):
        r = await client.post(path, json={**body, "keep_count": 1})
        assert r.status_code == 400 and "error" in r.json(), (path, body)


async def test_nul_characters_and_huge_usage_are_stored_not_refused(client: httpx.AsyncClient) -> None:
    odd = "binary\x00output"
    sid = await imported(client, [{"role": "user", "content": odd},
                                  {"role": "assistant", "content": "ok", "reasoning": "r\x00",
                                   "usage": {"input_tokens": 10**30, "output_tokens": -5}}], title="t\x00")
    r = await client.post("/api/session/rename", json={"session_id": sid, "title": "new\x00name"})
    assert r.status_code == 200
    msgs = (await client.get("/api/session", params={"session_id": sid})).json()["session"]["messages"]
    assert msgs[0]["content"] == odd  # JSON content keeps it exactly
    assert msgs[1]["usage"] == {"input_tokens": 2**31 - 1, "output_tokens": 0}
    assert (await client.get("/api/sessions/search", params={"q": "binary"})).json()["count"] == 1
