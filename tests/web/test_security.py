"""The security baseline: Host check, cross-origin refusal, body limit, security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from threadkeep.settings import Settings
from threadkeep.web.app import create_app


async def test_security_headers_on_success_and_errors(client: httpx.AsyncClient) -> None:
    for r in (await client.get("/health"), await client.get("/nope"), await client.post("/api/session/rename")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "attacker:8787"])
async def test_foreign_host_header_is_refused(client: httpx.AsyncClient, host: str) -> None:
    r = await client.get("/api/sessions", headers={"Host": host})
    assert r.status_code == 400 and "Host" in r.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:8787", "localhost:8787", "localhost", "[::1]:8787"])
async def test_local_host_headers_are_accepted(client: httpx.AsyncClient, host: str) -> None:
    assert (await client.get("/health", headers={"Host": host})).status_code == 200


@pytest.mark.parametrize("header", ["Origin", "Referer"])
async def test_cross_origin_writes_are_refused_and_change_nothing(client: httpx.AsyncClient, header: str) -> None:
    value = "http://evil.example" if header == "Origin" else "http://evil.example/page"
    r = await client.post("/api/session/new", json={}, headers={header: value})
    assert r.status_code == 403 and r.json() == {"error": "Cross-origin request refused"}
    assert (await client.get("/api/sessions")).json()["sessions"] == []


async def test_same_origin_writes_and_cross_origin_reads_are_fine(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/session/new", json={}, headers={"Origin": "http://127.0.0.1:8787"})
    assert r.status_code == 200
    r = await client.get("/api/sessions", headers={"Origin": "http://evil.example"})
    assert r.status_code == 200


@pytest.fixture
async def small_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path / "d", max_body_bytes=2048, workspace_roots=[tmp_path])
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as c:
            yield c


async def test_body_over_the_limit_is_413_and_changes_nothing(small_client: httpx.AsyncClient) -> None:
    big = {"title": "x", "messages": [{"role": "user", "content": "y" * 5000}]}
    r = await small_client.post("/api/session/import", json=big)
    assert r.status_code == 413 and "larger than 2048" in r.json()["error"]
    assert (await small_client.get("/api/sessions")).json()["sessions"] == []


async def test_chunked_body_over_the_limit_is_413(small_client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(10):
            yield b"z" * 500
        yield b'"}'

    r = await small_client.post("/api/session/new", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


async def test_wildcard_bind_accepts_any_host(tmp_path: Path) -> None:
    app: Any = create_app(Settings(data_dir=tmp_path / "d", host="0.0.0.0"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://team.example") as c:
            assert (await c.get("/health")).status_code == 200
