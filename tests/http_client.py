"""A tiny blocking JSON client over one keep-alive connection, for live-server tests."""

from __future__ import annotations

import http.client
import json
from typing import Any


class Client:
    def __init__(self, base: str, timeout: float = 30.0) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            self.conn.request(method, path, body=data, headers=headers)
            reply = self.conn.getresponse()
            raw = reply.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            raise
        return reply.status, json.loads(raw) if raw else None

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("POST", path, body)

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def close(self) -> None:
        self.conn.close()
