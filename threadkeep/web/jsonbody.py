"""Every JSON request body is checked strictly before any route sees it, as one pure ASGI middleware.

Owns the rule that a body FastAPI will read as JSON (Content-Type application/json or */*+json, or none at
all) is strict JSON no deeper than `jsoncodec.MAX_DEPTH` levels: otherwise a 400 `{"error": ...}` and the
app never runs, so no handler can store a lone surrogate, a NaN or a value too deep to be encoded again.
The body is then replayed (unchanged but for an integer past 64 bits: `jsoncodec.strict_bytes`); FastAPI
decodes it once more for the handler's model. What is strict JSON is `jsoncodec`'s business; size limits
are `security`'s (it runs first).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import jsoncodec
from ..errors import ApiError
from .responses import reply


def _is_json(content_type: bytes | None) -> bool:
    """FastAPI's own test (with `strict_content_type=False`): no Content-Type, or an application/ JSON type."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


class JsonBodyMiddleware:
    def __init__(self, app: ASGIApp, *, max_depth: int = jsoncodec.MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not _has_body(headers) or not _is_json(headers.get(b"content-type")):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read(receive)
        except ApiError as exc:  # the body limit, raised by `security`'s receive
            await reply({"error": exc.message}, exc.status)(scope, receive, send)
            return
        if body is None:  # the client went away mid-body: nobody to answer
            return
        if body:
            try:
                passed = jsoncodec.strict_bytes(body, max_depth=self.max_depth)
            except jsoncodec.JsonRefused as exc:
                await reply({"error": f"request body {exc}"}, 400)(scope, receive, send)
                return
            if passed is not body:
                scope = _with_length(scope, len(passed))
                body = passed
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"transfer-encoding")]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body in one message, then the real channel (a streaming reply still hears the disconnect)."""
    sent = False

    async def _receive() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return _receive
