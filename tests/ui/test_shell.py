"""The page itself: served at /, its modules load under the CSP, no errors, static files revalidate."""

from __future__ import annotations

from typing import Any

from tests.http_client import Client
from tests.live import LiveServer


def test_page_loads_with_no_errors_and_a_strict_csp(page: Any, ui_server: LiveServer) -> None:
    assert page.title() == "threadkeep"
    reply = page.request.get(ui_server.base + "/")
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert reply.headers["cache-control"] == "no-cache"


def test_static_files_are_served_and_unknown_ones_are_404(ui_server: LiveServer) -> None:
    client = Client(ui_server.base)
    status, _ = client.call("GET", "/static/nope.js")
    assert status == 404
    status, _ = client.call("GET", "/api/nope")
    assert status == 404
