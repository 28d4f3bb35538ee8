"""Server-Sent Events on the wire: how one event is encoded, and the streaming reply that carries them.

Owns the frame format (`id:`, `event:`, `data:` lines, multi-line data, `: keepalive` comments, the
`retry:` hint), reading the resume point from `Last-Event-ID` or `?after=`, and `EventStreamResponse`,
which relays a subscription with heartbeats until it ends or the client goes away. Which events exist
and how they are kept is `streams`' business, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Protocol

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ..errors import BadRequest
from ..jsoncodec import dumps

KEEPALIVE = b": keepalive\n\n"
DEFAULT_RETRY_MS = 3000
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BAD_NAME = re.compile(r"[\r\n:]")
MAX_EVENT_ID = 2**63 - 1  # what any store of events (an int64 column, a Redis stream id) can hold


def _field(name: bytes, value: bytes) -> bytes:
    """One field; a value with line breaks becomes several lines of the same field (as SSE joins them)."""
    if b"\n" not in value and b"\r" not in value:
        return name + b": " + value + b"\n"
    return b"".join(name + b": " + line + b"\n" for line in _LINE_BREAK.split(value))


def encode_event(event_id: int | None, event: str, data: Any) -> bytes:
    """One complete frame: `id: N\\nevent: name\\ndata: <json>\\n\\n`; `data` is encoded as JSON."""
    return encode_raw(event_id, event, dumps(data))


def encode_raw(event_id: int | None, event: str, payload: bytes | str) -> bytes:
    """One complete frame whose data is `payload` as given (split over several `data:` lines if needed)."""
    if not event or _BAD_NAME.search(event):
        raise ValueError(f"invalid SSE event name: {event!r}")
    if isinstance(payload, str):
        payload = payload.encode()
    head = b"id: %d\n" % event_id if event_id is not None else b""
    return head + b"event: " + event.encode() + b"\n" + _field(b"data", payload) + b"\n"


def comment(text: str = "keepalive") -> bytes:
    """A comment frame: clients ignore it, proxies see traffic (a heartbeat)."""
    return b"".join(b": " + line + b"\n" for line in _LINE_BREAK.split(text.encode())) + b"\n"


def retry_hint(milliseconds: int = DEFAULT_RETRY_MS) -> bytes:
    """Tells EventSource how long to wait before reconnecting."""
    return b"retry: %d\n\n" % max(0, int(milliseconds))


def decode_frame(frame: bytes) -> tuple[int | None, str, str]:
    """(id, event, data) of one frame as `encode_raw` writes it; data lines are joined with newlines."""
    event_id: int | None = None
    event = "message"
    data: list[bytes] = []
    for line in _LINE_BREAK.split(frame):
        if not line or line.startswith(b":"):
            continue
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"id":
            event_id = int(value) if value.isdigit() else None
        elif name == b"event":
            event = value.decode()
        elif name == b"data":
            data.append(value)
    return event_id, event, b"\n".join(data).decode()


def resume_point(last_event_id: str | None, after: int | None) -> int:
    """The id after which a client wants events: the `Last-Event-ID` header (sent by a reconnecting
    EventSource, so newer than the URL's value) wins over `?after=`; neither means from the start."""
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_EVENT_ID:
            raise BadRequest("Last-Event-ID must be a non-negative integer event id")
        return int(value)
    if after is not None:
        if not 0 <= after <= MAX_EVENT_ID:
            raise BadRequest("after must be a non-negative integer event id")
        return after
    return 0


class _Framed(Protocol):
    @property
    def frame(self) -> bytes: ...


class Batches(Protocol):
    """What `EventStreamResponse` reads: a subscription that hands out what is ready, waiting at most
    `max_wait` seconds for something (empty list on timeout, None once the stream has ended)."""

    async def batch(self, max_wait: float | None = None) -> Sequence[_Framed] | None: ...

    async def aclose(self) -> None: ...


async def frames(subscription: Batches, *, heartbeat: float, retry_ms: int | None = DEFAULT_RETRY_MS
                 ) -> AsyncGenerator[bytes, None]:
    """The body of an event-stream reply: every event's frame (several at once when they are ready
    together, one write instead of many), a keepalive comment after `heartbeat` idle seconds."""
    try:
        if retry_ms is not None:
            yield retry_hint(retry_ms)
        while True:
            ready = await subscription.batch(heartbeat)
            if ready is None:
                return
            yield b"".join(event.frame for event in ready) if ready else KEEPALIVE
    finally:
        await subscription.aclose()


class EventStreamResponse(StreamingResponse):
    """`text/event-stream` reply relaying one subscription; the subscription is closed however the reply
    ends: the stream finished, the client disconnected (Starlette cancels the body), or a write failed."""

    media_type = "text/event-stream"

    def __init__(self, subscription: Batches, *, heartbeat: float = 15.0,
                 retry_ms: int | None = DEFAULT_RETRY_MS, headers: dict[str, str] | None = None) -> None:
        merged = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})}
        self._subscription = subscription
        self._frames = frames(subscription, heartbeat=heartbeat, retry_ms=retry_ms)
        super().__init__(self._frames, headers=merged, media_type="text/event-stream; charset=utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._frames.aclose()
            await self._subscription.aclose()
