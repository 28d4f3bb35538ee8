"""The security baseline every request passes through, as one pure ASGI middleware.

Owns: the URL length limit (414), the Host check (DNS rebinding: only the bound host, localhost and configured
names), the cross-origin check on state-changing requests (Origin/Referer of another host, or a browser's
Sec-Fetch-Site saying another site's page sent it → 403; also as a dependency for the one GET that changes
state), the request body limit (413) and the security headers on every reply. Authentication is not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Forbidden, PayloadTooLarge

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})
# Path + query. Our longest real URL is a file path (at most 4,096 bytes, percent-encoded to 12,288) plus a
# session id. Past 16 KB the app answers 414 in JSON; the HTTP server itself refuses a URL past 65,535 bytes
# (httptools parses URLs with 16-bit offsets) with a plain-text 400 that never reaches the app (see `cli`).
MAX_URL_BYTES = 16 * 1024
# A browser tells which page started a request. "same-site" is still another origin (on localhost: any other
# port), so for a state change only "same-origin" and "none" (typed, bookmarked) are ours.
_FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})

# Model output is untrusted: no inline script may ever run in our pages.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The interactive API docs load Swagger UI from its CDN; only those pages may.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def _host_name(netloc: str) -> str:
    """The host part of a Host header or netloc, lower-cased, without port or IPv6 brackets."""
    try:
        host = urlsplit("//" + netloc).hostname
    except ValueError:
        return ""
    return (host or "").lower()


def _url_bytes(scope: Scope) -> int:
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    return len(path) + len(scope.get("query_string", b""))


def is_cross_origin(headers: Mapping[str, str], host_header: str) -> bool:
    """Whether another site's page sent this request: Sec-Fetch-Site says so, Origin (else Referer) names
    another host than the Host header, or Origin is "null" (a sandboxed frame, a file)."""
    if headers.get("sec-fetch-site", "").lower() in _FOREIGN_FETCH_SITES:
        return True
    origin = headers.get("origin") or headers.get("referer")
    if not origin or origin == "null":
        return origin == "null"
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return True
    return netloc.lower() != host_header.lower()


async def refuse_cross_origin(request: Request) -> None:
    """A route dependency for a GET that changes state (hermes-webui's `GET /api/chat/cancel`, kept because
    its page calls it): refused from another site's page exactly like a POST."""
    if is_cross_origin(request.headers, request.headers.get("host", "")):
        raise Forbidden("Cross-origin request refused")


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, bound_host: str, allowed_hosts: Iterable[str], max_body: int) -> None:
        self.app = app
        self.max_body = max_body
        bound = bound_host.strip("[]").lower()
        self.any_host = bound in _WILDCARD_BINDS and not list(allowed_hosts)
        self.hosts = _LOCAL_NAMES | {bound} | {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _url_bytes(scope) > MAX_URL_BYTES:
            await _refuse(send, 414, "URL too long")
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host_header = headers.get("host", "")
        if not self.any_host and _host_name(host_header) not in self.hosts:
            await _refuse(send, 400, "Host header is not allowed for this server")
            return
        if scope["method"] not in _SAFE_METHODS and is_cross_origin(headers, host_header):
            await _refuse(send, 403, "Cross-origin request refused")
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _refuse(send, 413, f"Request body is larger than {self.max_body} bytes")
            return
        csp = (_DOCS_CSP if scope["path"] in _DOCS_PATHS else _CSP).encode()
        if length is None and scope["method"] not in _SAFE_METHODS:
            # A chunked body has no declared size: read it here, so an oversized one is refused before the
            # app sees any of it (and a body parser cannot turn the refusal into a generic 400).
            body = await self._read_bounded(receive)
            if body is None:
                await _refuse(send, 413, f"Request body is larger than {self.max_body} bytes")
                return
            receive = _replay(body)
        await self.app(scope, self._limited(receive), _with_headers(send, csp))

    async def _read_bounded(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.max_body

        async def _receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
            return message

        return _receive


def _replay(body: bytes) -> Receive:
    sent = False

    async def _receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return _receive


def _with_headers(send: Send, csp: bytes) -> Send:
    async def _send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Any] = list(message.get("headers", []))
            headers.extend(_HEADERS)
            headers.append((b"content-security-policy", csp))
            message["headers"] = headers
        await send(message)

    return _send


async def _refuse(send: Send, status: int, text: str) -> None:
    body = orjson.dumps({"error": text})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
