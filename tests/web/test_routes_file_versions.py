"""Conditional workspace saves over HTTP (in-process, SQLite and PostgreSQL): GET /api/file names the version
it read (ETag and `etag`), POST /api/file/save with If-Match (or `if_match`) writes only over that version and
answers 412 with the current one otherwise; without a condition the last write wins, as hermes clients expect."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest


@pytest.fixture
async def sid(client: httpx.AsyncClient, tmp_path: Path) -> str:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.md").write_text("v1\n")
    reply = await client.post("/api/session/new", json={"workspace": str(ws)})
    session_id: str = reply.json()["session"]["session_id"]
    return session_id


async def read(client: httpx.AsyncClient, sid: str) -> httpx.Response:
    return await client.get("/api/file", params={"session_id": sid, "path": "notes.md"})


async def save(client: httpx.AsyncClient, sid: str, content: str, *, header: str | None = None,
               field: str | None = None) -> httpx.Response:
    body = {"session_id": sid, "path": "notes.md", "content": content}
    if field is not None:
        body["if_match"] = field
    return await client.post("/api/file/save", json=body, headers={"If-Match": header} if header else {})


async def test_a_stale_save_is_412_and_changes_nothing(client: httpx.AsyncClient, sid: str, tmp_path: Path) -> None:
    first = await read(client, sid)
    etag = first.headers["etag"]
    assert first.json()["etag"] == etag
    mine = await save(client, sid, "v2 (mine)\n", header=etag)
    assert mine.status_code == 200 and mine.json()["ok"] is True
    assert mine.json()["etag"] == mine.headers["etag"] == (await read(client, sid)).headers["etag"] != etag
    stale = await save(client, sid, "v2 (theirs)\n", header=etag)  # a second editor, still on v1
    assert stale.status_code == 412
    assert "changed" in stale.json()["error"] and stale.json()["etag"] == mine.json()["etag"]
    assert (tmp_path / "ws" / "notes.md").read_text() == "v2 (mine)\n"
    # The page's "overwrite": save over the version the 412 named.
    again = await save(client, sid, "v3 (theirs)\n", field=stale.json()["etag"])
    assert again.status_code == 200 and (tmp_path / "ws" / "notes.md").read_text() == "v3 (theirs)\n"
    assert (await save(client, sid, "late\n", field=etag)).status_code == 412  # the body field is honoured too


async def test_without_a_condition_the_last_write_wins(client: httpx.AsyncClient, sid: str, tmp_path: Path) -> None:
    await read(client, sid)
    for content in ("a\n", "b\n"):
        reply = await save(client, sid, content)
        assert reply.status_code == 200 and set(reply.json()) >= {"ok", "path", "size"}
    assert (tmp_path / "ws" / "notes.md").read_text() == "b\n"
    missing = await client.post("/api/file/save", json={"session_id": sid, "path": "nope.md", "content": "",
                                                        "if_match": '"x"'})
    assert missing.status_code == 404  # a file that is not there is not found, whatever the condition


async def test_of_two_racing_saves_over_one_version_exactly_one_wins(client: httpx.AsyncClient, sid: str,
                                                                     tmp_path: Path) -> None:
    etag = (await read(client, sid)).headers["etag"]
    replies = await asyncio.gather(*(save(client, sid, f"writer {i}\n", header=etag) for i in range(8)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] + [412] * 7
    winner = next(i for i, r in enumerate(replies) if r.status_code == 200)
    assert (tmp_path / "ws" / "notes.md").read_text() == f"writer {winner}\n"
