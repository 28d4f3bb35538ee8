"""Every failure is a JSON {"error": ...}: malformed bodies, unknown routes, wrong methods, real 500s."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from threadkeep.settings import Settings
from threadkeep.web.app import create_app


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b'"text"', "JSON object"),
     (b"null", "JSON object"), (b"", "required")],
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, body: bytes, message: str) -> None:
    r = await client.post("/api/session/retry", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and message in r.json()["error"]


async def test_body_without_content_type_is_read_as_json(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/session/new", content=b'{"title": "plain"}')
    assert r.status_code == 200 and r.json()["session"]["title"] == "plain"


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/does/not/exist")
    assert r.status_code == 404 and r.json() == {"error": "Not found"}


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/session/retry")
    assert r.status_code == 405 and r.json() == {"error": "Method not allowed"}


async def test_unexpected_failure_is_a_logged_generic_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(data_dir=tmp_path / "d"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            with caplog.at_level(logging.ERROR, logger="threadkeep.errors"):
                r = await c.get("/boom")
    assert r.status_code == 500 and r.json() == {"error": "Internal server error"}
    assert "secret internals" not in r.text
    assert any("secret internals" in (rec.exc_text or str(rec.exc_info)) for rec in caplog.records)
