"""Turn event streams: numbered events a turn publishes and any number of readers follow or replay.

Owns the `StreamRegistry` contract (create, publish -> id, subscribe after an id, finish, status; finished
streams replayable for a TTL, then gone) and `MemoryStreamRegistry`, the in-process implementation. A
Redis-backed one (XADD/XREAD) can replace it: callers use only these verbs. The event names and payloads
are the turn runner's; the wire format is `sse`'s (events are kept as pre-encoded frames, once each).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from ..errors import Conflict, NotFound
from . import sse

log = logging.getLogger("threadkeep.streams")

BATCH_LIMIT = 512  # events handed out at once: bounds one SSE write


class StreamNotFound(NotFound):
    """No stream with this id: never created, or finished longer ago than the replay TTL."""

    def __init__(self, stream_id: str) -> None:
        super().__init__("Stream not found", stream_id=stream_id)


class StreamFinished(Conflict):
    """Publishing to a stream that has already finished."""


class StreamEvent:
    """One published event: its id and its pre-encoded SSE frame; name and data are decoded on demand.

    Unpacks as `(id, event, data)`.
    """

    __slots__ = ("frame", "id")

    def __init__(self, event_id: int, frame: bytes) -> None:
        self.id = event_id
        self.frame = frame

    @property
    def event(self) -> str:
        return sse.decode_frame(self.frame)[1]

    @property
    def data(self) -> Any:
        return orjson.loads(sse.decode_frame(self.frame)[2])

    def __iter__(self) -> Any:
        _, event, payload = sse.decode_frame(self.frame)
        return iter((self.id, event, orjson.loads(payload)))

    def __repr__(self) -> str:
        return f"StreamEvent({self.id}, {self.event!r})"


class Subscription(Protocol):
    """A reader's position in one stream. Iterate it for single events, or take `batch()`es."""

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> StreamEvent: ...

    async def batch(self, max_wait: float | None = None) -> Sequence[StreamEvent] | None:
        """Every event ready after the position (at most BATCH_LIMIT); waits up to `max_wait` seconds
        (None: as long as it takes) for one. [] on timeout, None once the stream has finished."""
        ...

    async def aclose(self) -> None: ...


class StreamRegistry(Protocol):
    async def create(self, stream_id: str, session_id: str) -> None: ...

    async def publish(self, stream_id: str, event: str, data: Any) -> int:
        """Append an event; returns its id (1, 2, 3... per stream)."""
        ...

    def subscribe(self, stream_id: str, after: int = 0) -> Subscription:
        """Every event with id > `after`, then live ones until the stream finishes. StreamNotFound for
        an unknown stream (an implementation may raise it on first read rather than here)."""
        ...

    async def finish(self, stream_id: str) -> None: ...

    async def status(self, stream_id: str) -> dict[str, Any]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(slots=True, eq=False)
class _Stream:
    stream_id: str
    session_id: str
    created_at: float
    frames: list[bytes] = field(default_factory=list)
    finished_at: float | None = None  # wall clock, for status
    expires_at: float | None = None  # registry clock
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    subscribers: int = 0

    def notify(self, *, always: bool = False) -> None:
        # Waiters hold the old Event, which is set; later waiters get a fresh one.
        if self.waiting or always:
            self.changed.set()
            self.changed = asyncio.Event()

    def size(self) -> int:
        return sum(len(f) for f in self.frames)


class MemorySubscription:
    """Reads a `_Stream`'s frame list from its own position: the publisher never waits for it, and a
    slow reader costs nothing but its position (no per-reader queue)."""

    def __init__(self, stream: _Stream, after: int) -> None:
        self._stream = stream
        self._pos = max(0, after)
        self._ready: deque[StreamEvent] = deque()
        self._closed = False
        stream.subscribers += 1

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> StreamEvent:
        if not self._ready:
            got = await self.batch(None)
            if got is None:
                raise StopAsyncIteration
            self._ready.extend(got)
        return self._ready.popleft()

    async def batch(self, max_wait: float | None = None) -> list[StreamEvent] | None:
        stream = self._stream
        while True:
            if self._closed:
                return None
            frames = stream.frames
            if self._pos < len(frames):
                start = self._pos
                stop = min(len(frames), start + BATCH_LIMIT)
                self._pos = stop
                return [StreamEvent(i + 1, frames[i]) for i in range(start, stop)]
            if stream.expires_at is not None:
                await self.aclose()
                return None
            if not await self._wait(max_wait):
                return []

    async def _wait(self, max_wait: float | None) -> bool:
        stream = self._stream
        changed = stream.changed
        stream.waiting += 1
        try:
            if max_wait is None:
                await changed.wait()
                return True
            try:
                async with asyncio.timeout(max_wait):
                    await changed.wait()
                return True
            except TimeoutError:
                return False
        finally:
            stream.waiting -= 1

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._stream.subscribers -= 1


class MemoryStreamRegistry:
    """In-process streams. Finished streams are kept `ttl` seconds for replay, then purged (lazily on
    use, and by a background task between `start()` and `close()`)."""

    def __init__(self, ttl: float = 300.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._streams: dict[str, _Stream] = {}
        self._expiry: deque[tuple[float, str]] = deque()  # finish order == expiry order (one TTL)
        self._purger: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._purger is None:
            self._purger = asyncio.create_task(self._purge_loop(), name="threadkeep-stream-purge")

    async def close(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None
        for stream in self._streams.values():  # wake every reader: nothing more will come
            stream.expires_at = stream.expires_at or self._clock()
            stream.notify(always=True)
        self._streams.clear()
        self._expiry.clear()

    async def _purge_loop(self) -> None:
        interval = min(60.0, max(1.0, self.ttl / 4))
        while True:
            await asyncio.sleep(interval)
            self.purge()

    def purge(self) -> int:
        """Drop finished streams whose TTL has passed; returns how many."""
        now = self._clock()
        dropped = 0
        while self._expiry and self._expiry[0][0] <= now:
            _, stream_id = self._expiry.popleft()
            stream = self._streams.get(stream_id)
            if stream is not None and stream.expires_at is not None and stream.expires_at <= now:
                del self._streams[stream_id]
                dropped += 1
        return dropped

    # -- the verbs ---------------------------------------------------------------------------------

    def _get(self, stream_id: str) -> _Stream:
        stream = self._streams.get(stream_id)
        if stream is None or (stream.expires_at is not None and stream.expires_at <= self._clock()):
            raise StreamNotFound(stream_id)
        return stream

    async def create(self, stream_id: str, session_id: str) -> None:
        self.purge()
        if stream_id in self._streams:
            raise Conflict("Stream already exists", stream_id=stream_id)
        self._streams[stream_id] = _Stream(stream_id, sys.intern(session_id), time.time())

    async def publish(self, stream_id: str, event: str, data: Any) -> int:
        stream = self._streams.get(stream_id)
        if stream is None:
            raise StreamNotFound(stream_id)
        if stream.expires_at is not None:
            raise StreamFinished("Stream has finished", stream_id=stream_id)
        event_id = len(stream.frames) + 1
        stream.frames.append(sse.encode_event(event_id, event, data))
        stream.notify()
        return event_id

    def subscribe(self, stream_id: str, after: int = 0) -> MemorySubscription:
        self.purge()
        return MemorySubscription(self._get(stream_id), after)

    async def finish(self, stream_id: str) -> None:
        stream = self._get(stream_id)
        if stream.expires_at is not None:
            return
        stream.finished_at = time.time()
        stream.expires_at = self._clock() + self.ttl
        self._expiry.append((stream.expires_at, stream_id))
        stream.notify(always=True)
        self.purge()

    async def status(self, stream_id: str) -> dict[str, Any]:
        self.purge()
        stream = self._get(stream_id)
        expires_in = None if stream.expires_at is None else max(0.0, stream.expires_at - self._clock())
        return {
            "stream_id": stream.stream_id,
            "session_id": stream.session_id,
            "active": stream.expires_at is None,
            "last_event_id": len(stream.frames),
            "created_at": stream.created_at,
            "finished_at": stream.finished_at,
            "replay_expires_in": expires_in,
            "subscribers": stream.subscribers,
        }

    # -- introspection for tests and benchmarks ------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """How many streams are held and how many bytes their frames take."""
        active = sum(1 for s in self._streams.values() if s.expires_at is None)
        return {"streams": len(self._streams), "active": active,
                "frame_bytes": sum(s.size() for s in self._streams.values())}
