"""Session routes over HTTP (in-process), on SQLite and PostgreSQL: success paths and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

MSGS = [
    {"role": "user", "content": "first question"},
    {"role": "assistant", "content": "first answer"},
    {"role": "user", "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}]},
    {"role": "assistant", "content": "second answer", "usage": {"input_tokens": 12, "output_tokens": 3}},
]


async def new(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/session/new", json=body)
    assert r.status_code == 200, r.text
    return r.json()["session"]  # type: ignore[no-any-return]


async def imported(client: httpx.AsyncClient, messages: list[Any] = MSGS, **body: Any) -> str:
    r = await client.post("/api/session/import", json={"title": "imp", "messages": messages, **body})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True
    return r.json()["session"]["session_id"]  # type: ignore[no-any-return]


async def test_new_session_defaults(client: httpx.AsyncClient, settings: Any) -> None:
    s = await new(client)
    assert len(s["session_id"]) == 12 and s["title"] == "Untitled" and s["messages"] == []
    assert s["workspace"] == str(settings.default_workspace)
    r = await client.post("/api/session/new")  # no body at all is fine too
    assert r.status_code == 200


async def test_new_session_with_workspace_and_model(client: httpx.AsyncClient, tmp_path: Path) -> None:
    ws = tmp_path / "proj"
    ws.mkdir()
    s = await new(client, workspace=str(ws), model="gpt-4o")
    assert (s["workspace"], s["model"]) == (str(ws), "gpt-4o")


@pytest.mark.parametrize(
    ("workspace", "why"),
    [("relative/dir", "absolute"), ("/definitely/not/here", "does not exist"), ("/etc", "system directory"),
     ("/", "system directory")],
)
async def test_new_session_refuses_bad_workspaces(client: httpx.AsyncClient, workspace: str, why: str) -> None:
    r = await client.post("/api/session/new", json={"workspace": workspace})
    assert r.status_code == 400 and why in r.json()["error"]


async def test_workspace_outside_allowed_roots_is_refused(client: httpx.AsyncClient, tmp_path: Path) -> None:
    r = await client.post("/api/session/new", json={"workspace": str(Path.home().parent)})
    assert r.status_code == 400


async def test_workspace_file_is_not_a_directory(client: httpx.AsyncClient, tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = await client.post("/api/session/new", json={"workspace": str(f)})
    assert r.status_code == 400 and "not a directory" in r.json()["error"]


async def test_get_session_with_and_without_messages(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    full = (await client.get("/api/session", params={"session_id": sid})).json()["session"]
    assert [m["content"] for m in full["messages"]][:2] == ["first question", "first answer"]
    assert full["message_count"] == 4 and full["input_tokens"] == 12 and full["output_tokens"] == 3
    meta = (await client.get("/api/session", params={"session_id": sid, "messages": 0})).json()["session"]
    assert "messages" not in meta and meta["message_count"] == 4


async def test_get_session_pages_newest_first(client: httpx.AsyncClient) -> None:
    msgs = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(25)]
    sid = await imported(client, msgs)
    page = (await client.get("/api/session", params={"session_id": sid, "msg_limit": 10})).json()["session"]
    assert [m["content"] for m in page["messages"]] == [f"m{i}" for i in range(15, 25)]
    assert page["has_more"] is True and page["msg_before"] == 15
    older = (
        await client.get("/api/session", params={"session_id": sid, "msg_limit": 10, "msg_before": 15})
    ).json()["session"]
    assert [m["content"] for m in older["messages"]] == [f"m{i}" for i in range(5, 15)]


@pytest.mark.parametrize("params", [{}, {"session_id": ""}, {"session_id": "../etc/passwd"},
                                    {"session_id": "a/b"}, {"session_id": "x" * 300}])
async def test_get_session_bad_ids_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/api/session", params=params)
    assert r.status_code == 400 and "error" in r.json()


async def test_get_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/session", params={"session_id": "abcdef123456"})
    assert r.status_code == 404 and r.json() == {"error": "Session not found"}


async def test_get_session_non_integer_limit_is_400(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.get("/api/session", params={"session_id": sid, "msg_limit": "many"})
    assert r.status_code == 400 and "msg_limit" in r.json()["error"]


async def test_import_ignores_incoming_id_and_validates_messages(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/session/import", json={"session_id": "abc", "messages": MSGS})
    assert r.json()["session"]["session_id"] != "abc"
    for bad in ([{"role": "wizard", "content": "x"}], [{"role": "user", "content": 5}], ["not an object"], "x"):
        r = await client.post("/api/session/import", json={"messages": bad})
        assert r.status_code == 400 and "messages" in r.json()["error"], bad


async def test_rejected_import_changes_nothing(client: httpx.AsyncClient) -> None:
    before = (await client.get("/api/sessions")).json()["sessions"]
    r = await client.post("/api/session/import", json={"messages": [*MSGS, {"role": "nope"}]})
    assert r.status_code == 400
    assert (await client.get("/api/sessions")).json()["sessions"] == before


async def test_list_sessions_order_paging_and_filters(client: httpx.AsyncClient) -> None:
    ids = [await imported(client, title=f"s{i}") for i in range(5)]
    listed = [s["session_id"] for s in (await client.get("/api/sessions")).json()["sessions"]]
    assert listed == list(reversed(ids))
    page1 = (await client.get("/api/sessions", params={"limit": 2})).json()
    page2 = (await client.get("/api/sessions", params={"limit": 2, "cursor": page1["next_cursor"]})).json()
    assert [s["session_id"] for s in page1["sessions"] + page2["sessions"]] == listed[:4]
    await client.post("/api/session/pin", json={"session_id": ids[0]})
    await client.post("/api/session/archive", json={"session_id": ids[1]})
    pinned = (await client.get("/api/sessions", params={"pinned": "true"})).json()["sessions"]
    assert [s["session_id"] for s in pinned] == [ids[0]] and pinned[0]["pinned"] is True
    archived = (await client.get("/api/sessions", params={"archived": "true"})).json()["sessions"]
    assert [s["session_id"] for s in archived] == [ids[1]]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "ten"}, {"limit": "2", "cursor": "garbage!"},
                                    {"archived": "maybe"}])
async def test_list_sessions_bad_params_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/api/sessions", params=params)
    assert r.status_code == 400 and "error" in r.json()


async def test_rename_update_pin_archive_move(client: httpx.AsyncClient, tmp_path: Path) -> None:
    sid = await imported(client)
    r = await client.post("/api/session/rename", json={"session_id": sid, "title": "  New name  "})
    assert r.json()["session"]["title"] == "New name"
    ws = tmp_path / "w2"
    ws.mkdir()
    r = await client.post("/api/session/update", json={"session_id": sid, "workspace": str(ws), "model": "m2"})
    assert (r.json()["session"]["workspace"], r.json()["session"]["model"]) == (str(ws), "m2")
    assert (await client.post("/api/session/pin", json={"session_id": sid, "pinned": False})).json()["ok"]
    project = (await client.post("/api/projects/create", json={"name": "P"})).json()["project"]
    r = await client.post("/api/session/move", json={"session_id": sid, "project_id": project["project_id"]})
    assert r.json()["session"]["project_id"] == project["project_id"]
    r = await client.post("/api/session/move", json={"session_id": sid, "project_id": "nope"})
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/session/rename", {"session_id": "abcdef123456"}),
     ("/api/session/rename", {"title": "x"}),
     ("/api/session/rename", {"session_id": 5, "title": "x"}),
     ("/api/session/rename", {"session_id": "abcdef123456", "title": ["x"]}),
     ("/api/session/pin", {"session_id": "abcdef123456", "pinned": "yes"}),
     ("/api/session/update", {"session_id": "../../x"})],
)
async def test_session_field_changes_reject_bad_bodies(client: httpx.AsyncClient, path: str, body: Any) -> None:
    r = await client.post(path, json=body)
    assert r.status_code == 400 and r.json()["error"]


async def test_rename_as_hermes_strips_cuts_and_blank_is_untitled(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    r = await client.post("/api/session/rename", json={"session_id": sid, "title": "   "})
    assert r.status_code == 200 and r.json()["session"]["title"] == "Untitled" and "ok" not in r.json()
    r = await client.post("/api/session/rename", json={"session_id": sid, "title": "  " + "x" * 100 + "  "})
    assert r.json()["session"]["title"] == "x" * 80
    empty = await client.post("/api/session/rename", json={"session_id": sid, "title": ""})
    assert empty.status_code == 400
    assert (await client.get("/api/session/status", params={"session_id": sid})).json()["title"] == "x" * 80


async def test_unknown_session_changes_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/api/session/rename", "/api/session/pin", "/api/session/archive"):
        r = await client.post(path, json={"session_id": "abcdef123456", "title": "x"})
        assert r.status_code == 404 and "not found" in r.json()["error"].lower()


async def test_delete_is_idempotent_and_final(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    for _ in range(2):
        assert (await client.post("/api/session/delete", json={"session_id": sid})).json() == {"ok": True}
    assert (await client.get("/api/session", params={"session_id": sid})).status_code == 404
    assert sid not in [s["session_id"] for s in (await client.get("/api/sessions")).json()["sessions"]]


async def test_cleanup_zero_message_removes_empty_sessions(client: httpx.AsyncClient) -> None:
    empty = (await new(client))["session_id"]
    kept = await imported(client)
    r = await client.post("/api/sessions/cleanup_zero_message")
    assert r.json()["ok"] is True and r.json()["cleaned"] == 1
    ids = [s["session_id"] for s in (await client.get("/api/sessions")).json()["sessions"]]
    assert ids == [kept] and empty not in ids
    assert (await client.post("/api/sessions/cleanup", json={})).json()["ok"] is True


async def test_cleanup_removes_only_empty_sessions_never_named(client: httpx.AsyncClient) -> None:
    untitled = (await new(client))["session_id"]
    named = (await new(client))["session_id"]
    await client.post("/api/session/rename", json={"session_id": named, "title": "Plans"})
    kept = await imported(client)
    r = await client.post("/api/sessions/cleanup")
    assert r.json() == {"ok": True, "cleaned": 1}
    ids = {s["session_id"] for s in (await client.get("/api/sessions")).json()["sessions"]}
    assert ids == {named, kept}
    # ... where cleanup_zero_message takes every empty one
    assert (await client.post("/api/sessions/cleanup_zero_message")).json() == {"ok": True, "cleaned": 1}
    assert [s["session_id"] for s in (await client.get("/api/sessions")).json()["sessions"]] == [kept]
    assert (await client.post("/api/session/new", json={})).status_code == 200
    assert (await client.get("/api/session", params={"session_id": untitled})).status_code == 404


async def test_search_with_an_empty_query_is_the_list_as_hermes(client: httpx.AsyncClient) -> None:
    sid = await imported(client)
    reply = (await client.get("/api/sessions/search", params={"q": "  "})).json()
    assert list(reply) == ["sessions"] and [s["session_id"] for s in reply["sessions"]] == [sid]
    found = (await client.get("/api/sessions/search", params={"q": "FIRST"})).json()
    assert found["query"] == "first" and found["count"] == 1
