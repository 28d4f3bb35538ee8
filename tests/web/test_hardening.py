"""Hostile input over HTTP: lone surrogates, deep nesting, numbers past a column's range, timestamps past year
9999, a state-changing GET from another site, very long URLs. Each is a clear 4xx in JSON, never a 500, and
changes nothing."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import LiveServer
from threadkeep.jsoncodec import MAX_DEPTH

JSON = {"Content-Type": "application/json"}


async def new_session(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.post("/api/session/new", json={})
    assert r.status_code == 200, r.text
    return r.json()["session"]  # type: ignore[no-any-return]


async def post_raw(client: httpx.AsyncClient, path: str, body: str, **values: str) -> httpx.Response:
    """POST a body written by hand (JSON escapes `json=` could never produce); each `KEY` is replaced by
    `values[KEY]`."""
    for key, value in values.items():
        body = body.replace(key, value)
    return await client.post(path, content=body.encode(), headers=JSON)


async def session_of(client: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    r = await client.get("/api/session", params={"session_id": sid})
    assert r.status_code == 200, r.text
    return r.json()["session"]  # type: ignore[no-any-return]


# -- lone surrogates --------------------------------------------------------------------------------------

LONE = "a\\udc00b"
SURROGATE_BODIES = {
    "/api/session/append": '{"session_id": "SID", "messages": [{"role": "user", "content": "TEXT"}]}',
    "/api/chat/start": '{"session_id": "SID", "message": "TEXT"}',
    "/api/file/create": '{"session_id": "SID", "path": "new.txt", "content": "TEXT"}',
    "/api/file/save": '{"session_id": "SID", "path": "kept.txt", "content": "TEXT"}',
    "/api/session/import": '{"title": "t", "messages": [{"role": "user", "content": "TEXT"}]}',
    "/api/session/rename": '{"session_id": "SID", "title": "TEXT"}',
    "/api/session/new": '{"title": "TEXT"}',
    "/api/projects/create": '{"name": "TEXT"}',
    "/api/approval/respond": '{"session_id": "SID", "approval_id": "TEXT"}',
}


@pytest.mark.parametrize("path", list(SURROGATE_BODIES))
@pytest.mark.parametrize("escape", [LONE, "\\ud83d", "\\ud83d\\u0041"])
async def test_a_lone_surrogate_in_any_body_is_400_and_changes_nothing(client: httpx.AsyncClient, path: str,
                                                                     escape: str) -> None:
    session = await new_session(client)
    sid = session["session_id"]
    Path(session["workspace"], "kept.txt").write_text("before")
    r = await post_raw(client, path, SURROGATE_BODIES[path], SID=sid, TEXT=escape)
    assert r.status_code == 400, r.text
    assert "lone UTF-16 surrogate" in r.json()["error"] and r.json()["error"].startswith("request body ")
    after = await session_of(client, sid)
    assert (after["title"], after["message_count"], after["messages"]) == (session["title"], 0, [])
    assert Path(session["workspace"], "kept.txt").read_text() == "before"
    assert not Path(session["workspace"], "new.txt").exists()
    assert len((await client.get("/api/sessions")).json()["sessions"]) == 1
    assert (await client.get("/api/projects")).json()["projects"] == []


async def test_a_surrogate_pair_escape_is_one_character_and_round_trips(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    body = '{"session_id": "SID", "messages": [{"role": "user", "content": "smile \\ud83d\\ude00"}]}'
    assert (await post_raw(client, "/api/session/append", body, SID=sid)).status_code == 200
    assert (await session_of(client, sid))["messages"][0]["content"] == "smile \U0001f600"


@pytest.mark.parametrize("body", ['{"title": NaN}', '{"title": "x", "n": Infinity}', '{"title": "x",}',
                                  '{"title": "\xff"}'])
async def test_json_that_is_not_strict_is_400(client: httpx.AsyncClient, body: str) -> None:
    r = await client.post("/api/session/new", content=body.encode("latin-1"), headers=JSON)
    assert r.status_code == 400 and r.json()["error"].startswith("request body is not")
    assert (await client.get("/api/sessions")).json()["sessions"] == []


async def test_a_body_without_content_type_is_checked_too(client: httpx.AsyncClient) -> None:
    """hermes clients may send JSON without a Content-Type; FastAPI reads it as JSON, so it is checked."""
    r = await client.post("/api/session/new", content=b'{"title": "\\udc00"}')
    assert r.status_code == 400 and "surrogate" in r.json()["error"]
    r = await client.post("/api/session/new", content=b'{"title": "fine"}')
    assert r.status_code == 200 and r.json()["session"]["title"] == "fine"


# -- deep nesting -----------------------------------------------------------------------------------------


def append_body(sid: str, levels: int) -> str:
    """An append whose body nests 3 + `levels` deep: body, messages list, message, then `extra`."""
    extra = "[" * levels + "]" * levels
    return json.dumps({"session_id": sid, "messages": [{"role": "user", "content": "x"}]})[:-3] + \
        f', "extra": {extra}}}]}}'


@pytest.mark.parametrize("levels", [MAX_DEPTH - 2, 252, 300, 998, 5000])
async def test_json_nested_deeper_than_the_limit_is_400(client: httpx.AsyncClient, levels: int) -> None:
    sid = (await new_session(client))["session_id"]
    r = await client.post("/api/session/append", content=append_body(sid, levels).encode(), headers=JSON)
    assert r.status_code == 400, r.text
    assert r.json() == {"error": f"request body nests deeper than {MAX_DEPTH} levels"}
    assert (await session_of(client, sid))["message_count"] == 0


async def test_json_at_the_limit_is_stored_and_read_back(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    body = append_body(sid, MAX_DEPTH - 3)
    assert json.loads(body) and (await client.post("/api/session/append", content=body.encode(),
                                                   headers=JSON)).status_code == 200
    (message,) = (await session_of(client, sid))["messages"]
    extra, levels = message["extra"], 0
    while isinstance(extra, list):
        extra, levels = (extra[0] if extra else None), levels + 1
    assert levels == MAX_DEPTH - 3
    assert (await client.get("/api/session/export", params={"session_id": sid})).status_code == 200


async def test_every_route_is_covered_even_one_that_ignores_the_key(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    deep = "[" * 100 + "]" * 100
    for path in ("/api/session/rename", "/api/session/pin", "/api/sessions/cleanup"):
        r = await post_raw(client, path, '{"session_id": "SID", "title": "t", "junk": DEEP}', SID=sid, DEEP=deep)
        assert r.status_code == 400 and "nests deeper" in r.json()["error"], path


# -- integers past a column's range -----------------------------------------------------------------------


async def test_integers_past_64_bits_in_content_are_read_as_javascript_reads_them(client: httpx.AsyncClient) -> None:
    """No encoder here writes an integer past 64 bits: such a number is kept as the nearest float."""
    body = '{"title": "big", "tool_calls": [-9223372036854775809], "messages": [{"role": "user", "content": "x", ' \
           '"n": 1000000000000000000000000000000, "ok": 18446744073709551615}]}'
    r = await client.post("/api/session/import", content=body.encode(), headers=JSON)
    assert r.status_code == 200, r.text
    session = await session_of(client, r.json()["session"]["session_id"])
    assert session["tool_calls"] == [-9223372036854775808.0]
    assert (session["messages"][0]["n"], session["messages"][0]["ok"]) == (1e30, 18446744073709551615)

TOO_BIG = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("value", TOO_BIG)
async def test_msg_before_past_the_seq_column_is_400(client: httpx.AsyncClient, value: int) -> None:
    sid = (await new_session(client))["session_id"]
    r = await client.get("/api/session", params={"session_id": sid, "msg_limit": 5, "msg_before": value})
    assert r.status_code == 400 and r.json()["error"].startswith("msg_before:")


async def test_msg_before_at_the_top_of_the_range_is_a_page(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    await client.post("/api/session/append", json={"session_id": sid, "messages": [{"role": "user", "content": "a"}]})
    r = await client.get("/api/session", params={"session_id": sid, "msg_limit": 5, "msg_before": 2**31 - 1})
    assert r.status_code == 200 and [m["content"] for m in r.json()["session"]["messages"]] == ["a"]


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize(("path", "key"), [("/api/session/truncate", "keep_count"),
                                           ("/api/session/branch", "keep_count"),
                                           ("/api/chat/queue/clear", "queue_id")])
async def test_body_integers_past_their_column_are_400(client: httpx.AsyncClient, path: str, key: str,
                                                       value: int) -> None:
    if key == "queue_id" and value == 2**31:
        value = 2**53  # an id: 2**31 is a fine one (ids go up to 2**53 - 1, what a JavaScript number holds)
    sid = (await new_session(client))["session_id"]
    r = await client.post(path, json={"session_id": sid, key: value})
    assert r.status_code == 400 and r.json()["error"].startswith(f"{key}:")
    assert len((await client.get("/api/sessions")).json()["sessions"]) == 1  # no branch made


async def test_body_integers_within_range_still_work(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    assert (await client.post("/api/session/truncate", json={"session_id": sid, "keep_count": 2**31 - 1})
            ).status_code == 200
    assert (await client.post("/api/chat/queue/clear", json={"session_id": sid, "queue_id": 2**53 - 1})
            ).json() == {"ok": True, "removed": 0}


# -- timestamps -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["1e308", "-5", "253402300800000", "1e20"])
@pytest.mark.parametrize("path", ["/api/session/append", "/api/session/import"])
async def test_timestamps_past_year_9999_or_before_1970_are_400(client: httpx.AsyncClient, path: str,
                                                               stamp: str) -> None:
    sid = (await new_session(client))["session_id"]
    body = ('{"session_id": "SID", "messages": [{"role": "user", "content": "x"}, '
            '{"role": "assistant", "content": "y", "timestamp": STAMP}]}')
    r = await post_raw(client, path, body, SID=sid, STAMP=stamp)
    assert r.status_code == 400
    assert r.json()["error"].startswith("messages[1].timestamp must be a time in seconds")
    assert len((await client.get("/api/sessions")).json()["sessions"]) == 1
    assert (await session_of(client, sid))["message_count"] == 0


async def test_millisecond_timestamps_are_read_as_milliseconds(client: httpx.AsyncClient) -> None:
    sid = (await new_session(client))["session_id"]
    messages = [{"role": "user", "content": "s", "timestamp": 1700000000},
                {"role": "assistant", "content": "ms", "timestamp": 1700000001500}]
    assert (await client.post("/api/session/append", json={"session_id": sid, "messages": messages})
            ).status_code == 200
    stored = (await session_of(client, sid))["messages"]
    assert [m["timestamp"] for m in stored] == [1700000000.0, 1700000001.5]


# -- the one state-changing GET ---------------------------------------------------------------------------

FOREIGN = [{"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}, {"Origin": "null"},
           {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
           {"Referer": "http://127.0.0.1:9999/other-app"}]


@pytest.mark.parametrize("headers", FOREIGN)
async def test_get_chat_cancel_from_another_site_is_refused(client: httpx.AsyncClient,
                                                            headers: dict[str, str]) -> None:
    r = await client.get("/api/chat/cancel", params={"stream_id": "abc123"}, headers=headers)
    assert r.status_code == 403 and r.json() == {"error": "Cross-origin request refused"}


@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin", "Referer": "http://127.0.0.1:8787/"},
                                     {"Sec-Fetch-Site": "none"}])
async def test_get_chat_cancel_from_our_page_or_a_client_gets_through(client: httpx.AsyncClient,
                                                                      headers: dict[str, str]) -> None:
    """hermes-webui's page cancels with a same-origin GET: that still works (404 here: no such stream)."""
    r = await client.get("/api/chat/cancel", params={"stream_id": "abc123"}, headers=headers)
    assert r.status_code == 404, r.text


async def test_a_write_a_browser_marks_cross_site_is_refused_without_origin(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/session/new", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert (await client.get("/api/sessions")).json()["sessions"] == []


# -- long URLs --------------------------------------------------------------------------------------------


async def test_a_url_past_16_kb_is_414_in_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/sessions", params={"x": "a" * 17_000})
    assert r.status_code == 414 and r.json() == {"error": "URL too long"}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/api/sessions", params={"x": "a" * 16_000})).status_code == 200


def raw_get(port: int, target: str) -> tuple[int, str, bytes]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.request("GET", target)
        reply = con.getresponse()
        return reply.status, reply.getheader("content-type") or "", reply.read()
    finally:
        con.close()


@pytest.mark.live
def test_long_urls_against_the_real_server(tmp_path: Path) -> None:
    """Up to 16 KB the app answers; from there to the server's own limit (httptools: 65,535 bytes) a JSON 414;
    past that the HTTP layer answers a plain-text 400 itself, which the app never sees (documented in `cli`)."""
    server = LiveServer(tmp_path / "data")
    server.start()
    try:
        status, kind, body = raw_get(server.port, "/api/sessions?x=" + "a" * 12_000)
        assert (status, kind, json.loads(body)["sessions"]) == (200, "application/json", [])
        for length in (17_000, 40_000, 65_000):
            status, kind, body = raw_get(server.port, "/api/sessions?x=" + "a" * length)
            assert (status, kind, json.loads(body)) == (414, "application/json", {"error": "URL too long"})
        status, _, _ = raw_get(server.port, "/api/sessions?x=" + "a" * 100_000)
        assert status == 400  # uvicorn's own reply, outside the app's control
        status, _, _ = raw_get(server.port, "/health")
        assert status == 200
    finally:
        server.stop()
