"""The strict-JSON check on request bodies: which bodies it reads, and that it passes good ones on untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

BAD = b'{"title": "\\udc00"}'


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON", "application/merge-patch+json"])
async def test_every_json_content_type_is_checked(client: httpx.AsyncClient, content_type: str) -> None:
    r = await client.post("/api/session/new", content=BAD, headers={"Content-Type": content_type})
    assert r.status_code == 400 and "surrogate" in r.json()["error"]


async def test_other_bodies_are_left_to_their_route(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/session/new", content=BAD, headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "surrogate" not in r.json()["error"]  # FastAPI: not a JSON object
    sid = (await client.post("/api/session/new", json={})).json()["session"]["session_id"]
    files = {"file": ("a.json", b'{"x": "\\udc00"}' + b"[" * 500, "application/json")}
    r = await client.post("/api/upload", data={"session_id": sid}, files=files)
    assert r.status_code == 200 and r.json()["filename"] == "a.json"  # a file's bytes are its own business


async def test_a_chunked_body_is_checked_and_a_good_one_arrives_whole(client: httpx.AsyncClient) -> None:
    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    r = await client.post("/api/session/new", content=chunks(b'{"title": "\\ud8', b'00"}'),
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "surrogate" in r.json()["error"]
    r = await client.post("/api/session/new", content=chunks(b'{"title": "in ', b'two parts"}'),
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["session"]["title"] == "in two parts"


async def test_empty_bodies_and_gets_pass(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/session/new", content=b"", headers={"Content-Type": "application/json"})
            ).status_code == 200
    assert (await client.get("/api/sessions", headers={"Content-Type": "application/json"})).status_code == 200
