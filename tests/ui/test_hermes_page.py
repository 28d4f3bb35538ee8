"""hermes-webui's own page against threadkeep: its `static/` (at 8b8ff3328) served same-origin by a small proxy
that forwards `/api/*` and `/health` to a live `threadkeep serve` (`--auth none`, demo model). The page lists
threadkeep's sessions, opens one, renames it, sends a message and gets the demo model's reply, and no API call
it makes fails.

hermes' files are not part of this repository: set HERMES_WEBUI_STATIC to the `static` folder of a checkout at
8b8ff3328 (`git --git-dir=<mirror> archive 8b8ff3328 static | tar -x -C /tmp/hermes`); without it the test skips.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.http_client import Client
from tests.live import LiveServer

STATIC = os.environ.get("HERMES_WEBUI_STATIC", "")
pytestmark = pytest.mark.skipif(not STATIC or not (Path(STATIC) / "index.html").is_file(),
                                reason="HERMES_WEBUI_STATIC (hermes-webui's static/ at 8b8ff3328) is not set")
TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
         ".png": "image/png", ".ico": "image/x-icon", ".json": "application/json", ".woff2": "font/woff2"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
              "content-length"}


def _handler(static: Path, upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the connection's end ends a streamed body: SSE passes straight through

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def _route(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/api/") or path == "/health":
                self._forward()
            elif path in ("/", "/index.html"):
                self._file(static / "index.html")
            elif path in ("/manifest.json", "/sw.js", "/favicon.ico"):
                self._file(static / path.lstrip("/"))
            elif path.startswith("/static/"):
                self._file(static / path.removeprefix("/static/"))
            else:
                self._send(404, b'{"error": "not found"}', "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _file(self, path: Path) -> None:
            resolved = path.resolve()
            if not resolved.is_file() or static.resolve() not in resolved.parents:
                self._send(404, b'{"error": "not found"}', "application/json")
                return
            data = resolved.read_bytes()
            if resolved.name == "sw.js":
                data = data.replace(b"__CACHE_VERSION__", b"threadkeep-test")
            self._send(200, data, TYPES.get(resolved.suffix, "application/octet-stream"))

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if "Origin" in headers:  # as a reverse proxy on threadkeep's own origin would present it
                headers["Origin"] = upstream
            connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                reply = connection.getresponse()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.end_headers()
                while chunk := reply.read1(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                connection.close()

    return Proxy


def _after_turn(api: Client, sid: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session: dict[str, Any] = api.get(f"/api/session?session_id={sid}")[1]["session"]
        if session["active_stream_id"] is None and session["messages"][-1]["role"] == "assistant" \
                and len(session["messages"]) > 2:
            return session
        time.sleep(0.2)
    raise AssertionError("the turn did not finish")


@pytest.fixture
def hermes_front(demo_server: LiveServer) -> Iterator[str]:
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Path(STATIC), demo_server.base))
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}"
    proxy.shutdown()
    proxy.server_close()


def test_hermes_page_lists_opens_renames_and_chats(browser: Any, demo_server: LiveServer, hermes_front: str) -> None:
    from playwright.sync_api import expect

    api = Client(demo_server.base)
    status, made = api.post("/api/session/import", {"title": "Kept by threadkeep", "messages": [
        {"role": "user", "content": "What is kept?"},
        {"role": "assistant", "content": "Every session, in a database."}]})
    assert status == 200, made
    sid = made["session"]["session_id"]

    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=hermes_front,
                                  service_workers="block")
    context.set_default_timeout(15_000)
    # The page also loads fonts and highlighters from a CDN; tests never leave the machine.
    context.route(lambda url: not url.startswith(hermes_front),
                  lambda route: route.fulfill(status=200, body="", content_type="text/plain"))
    page = context.new_page()
    failed: list[str] = []
    errors: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.request.method} {r.url} → {r.status}")
            if "/api/" in r.url and r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"{r.method} {r.url} → {r.failure}")
            if "/api/" in r.url and "chat/stream" not in r.url else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/")
        row = page.locator(".session-item", has_text="Kept by threadkeep")
        expect(row).to_be_visible()
        row.click()
        expect(page.locator("#msgInner")).to_contain_text("Every session, in a database.")

        # Rename through hermes' own call (the sidebar's inline rename is a double-click on the title).
        row.locator(".session-title").dblclick()
        field = page.locator(".session-item .session-title-input")
        field.fill("Renamed in hermes")
        field.press("Enter")
        expect(page.locator(".session-item", has_text="Renamed in hermes")).to_be_visible()
        assert api.get(f"/api/session?session_id={sid}&messages=0")[1]["session"]["title"] == "Renamed in hermes"

        page.locator("#msg").fill("hello from hermes' page")
        page.locator("#btnSend").click()
        expect(page.locator("#msgInner")).to_contain_text("hello from hermes' page")
        session = _after_turn(api, sid)
        assert [m["role"] for m in session["messages"]][-2:] == ["user", "assistant"]
        assert "demo model" in session["messages"][-1]["content"]
        expect(page.locator("#msgInner .assistant-turn").last).to_contain_text("threadkeep demo model")
        page.wait_for_timeout(1000)  # the polls that follow a turn (git info, crons, clarify)
    finally:
        page.screenshot(path=str(Path(demo_server.data_dir) / "hermes-page.png"))
        context.close()
    assert not failed, "failing API calls:\n" + "\n".join(failed)
    assert not errors, "page errors:\n" + "\n".join(errors)
