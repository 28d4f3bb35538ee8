"""A real HTTP server on 127.0.0.1 for fake model providers: threads, chunked streaming, request recording.

Owns the transport part every fake shares: a `ThreadingHTTPServer` on a free port in a background thread,
JSON and chunked (SSE) replies written by hand so a test can stall a stream, slow it down or drop the
connection mid-body, and the list of requests received. What to answer is the subclasses' business.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Disconnect(Exception):
    """Raised by a script to drop the connection in the middle of a chunked body."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        recorded = Recorded(method, self.path, {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        fake.requests.append(recorded)
        try:
            fake.handle(self, recorded)
        except (Disconnect, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- writing replies ----------------------------------------------------------------------------

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)
        self.wfile.flush()

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


Handler = _Handler


class FakeServer:
    """Base of the fakes: start/stop, a queue of scripted replies, the requests received, progress."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self.events_sent = 0  # stream events written so far, across replies (for "is it incremental?")
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"{type(self).__name__}:{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def enqueue(self, *replies: Any) -> None:
        with self._lock:
            self._queue.extend(replies)

    def next_reply(self, default: Any) -> Any:
        with self._lock:
            return self._queue.popleft() if self._queue else default

    def posts(self, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    def handle(self, handler: _Handler, request: Recorded) -> None:
        raise NotImplementedError

    def pause(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def sent(self) -> None:
        with self._lock:
            self.events_sent += 1
