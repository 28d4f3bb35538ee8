"""SSE encoding, the resume point, and the event-stream reply driven over raw ASGI (heartbeats, end,
client disconnect)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from threadkeep.chat import sse
from threadkeep.chat.streams import MemoryStreamRegistry
from threadkeep.errors import BadRequest


def test_event_is_id_event_and_json_data_lines() -> None:
    frame = sse.encode_event(7, "token", {"text": "hi"})
    assert frame == b'id: 7\nevent: token\ndata: {"text":"hi"}\n\n'


def test_newlines_in_data_stay_inside_one_json_line() -> None:
    frame = sse.encode_event(1, "token", {"text": "a\nb\r\nc"})
    assert frame.count(b"\n") == 4  # id, event, data, blank line
    assert orjson.loads(sse.decode_frame(frame)[2]) == {"text": "a\nb\r\nc"}


def test_raw_multi_line_payload_becomes_several_data_lines() -> None:
    frame = sse.encode_raw(None, "note", "line one\nline two\r\nline three")
    assert frame == b"event: note\ndata: line one\ndata: line two\ndata: line three\n\n"
    assert sse.decode_frame(frame) == (None, "note", "line one\nline two\nline three")


@pytest.mark.parametrize("name", ["", "bad\nname", "a:b"])
def test_event_names_that_would_break_the_frame_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        sse.encode_event(1, name, {})


def test_heartbeat_comment_and_retry_hint() -> None:
    assert sse.comment() == b": keepalive\n\n"
    assert sse.comment() == sse.KEEPALIVE
    assert sse.retry_hint(2500) == b"retry: 2500\n\n"


def test_decode_round_trips_unicode() -> None:
    frame = sse.encode_event(3, "token", {"text": "žluťoučký 🐎"})
    event_id, event, data = sse.decode_frame(frame)
    assert (event_id, event, orjson.loads(data)) == (3, "token", {"text": "žluťoučký 🐎"})


def test_resume_point_prefers_last_event_id_header() -> None:
    assert sse.resume_point(None, None) == 0
    assert sse.resume_point(None, 5) == 5
    assert sse.resume_point("9", 5) == 9
    assert sse.resume_point("  ", 4) == 4
    for bad_header in ("x", "-1", "1.5", "\u00b2", str(2**63), "9" * 32):  # "²" is a digit int() refuses
        with pytest.raises(BadRequest):
            sse.resume_point(bad_header, None)
    for bad_after in (-1, 2**63, 10**30):
        with pytest.raises(BadRequest):
            sse.resume_point(None, bad_after)
    assert sse.resume_point(str(2**63 - 1), None) == sse.resume_point(None, 2**63 - 1) == 2**63 - 1


def test_an_event_with_a_lone_surrogate_is_still_valid_utf8() -> None:
    _, _, data = sse.decode_frame(sse.encode_event(1, "token", {"text": "half \ud83d"}))
    assert orjson.loads(data) == {"text": "half \ufffd"}


# -- the streaming reply over raw ASGI -------------------------------------------------------------------


class Client:
    """Drives an ASGI app like a server would, recording what it sends; `hang_up()` disconnects."""

    def __init__(self) -> None:
        self.gone = asyncio.Event()
        self.start: dict[str, Any] | None = None
        self.chunks: list[bytes] = []
        self.more = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        else:
            self.chunks.append(message.get("body", b""))
            self.more.set()

    def hang_up(self) -> None:
        self.gone.set()

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    async def wait_for(self, needle: bytes, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while needle not in self.body:
                self.more.clear()
                await self.more.wait()


def scope() -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "GET", "path": "/stream", "query_string": b"", "headers": []}


async def test_reply_relays_events_then_ends_when_the_stream_finishes() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s1", "sess")
    await registry.publish("s1", "token", {"text": "a"})
    response = sse.EventStreamResponse(registry.subscribe("s1"), heartbeat=10, retry_ms=1000)
    client = Client()
    task = asyncio.create_task(response(scope(), client.receive, client.send))
    await client.wait_for(b'"a"')
    await registry.publish("s1", "token", {"text": "b"})
    await registry.finish("s1")
    await asyncio.wait_for(task, 5)
    assert client.start is not None and client.start["status"] == 200
    headers = dict(client.start["headers"])
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache"
    assert client.body.startswith(b"retry: 1000\n\n")
    assert b'id: 1\nevent: token\ndata: {"text":"a"}\n\n' in client.body
    assert b'id: 2\nevent: token\ndata: {"text":"b"}\n\n' in client.body
    assert (await registry.status("s1"))["subscribers"] == 0


async def test_idle_stream_sends_heartbeats() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s1", "sess")
    client = Client()
    response = sse.EventStreamResponse(registry.subscribe("s1"), heartbeat=0.02, retry_ms=None)
    task = asyncio.create_task(response(scope(), client.receive, client.send))
    await client.wait_for(sse.KEEPALIVE * 2)
    await registry.finish("s1")
    await asyncio.wait_for(task, 5)
    assert not client.body.startswith(b"retry:")


async def test_client_disconnect_stops_the_reply_and_closes_the_subscription() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s1", "sess")
    client = Client()
    response = sse.EventStreamResponse(registry.subscribe("s1"), heartbeat=10)
    task = asyncio.create_task(response(scope(), client.receive, client.send))
    await registry.publish("s1", "token", {"text": "x"})
    await client.wait_for(b'"x"')
    assert (await registry.status("s1"))["subscribers"] == 1
    client.hang_up()
    await asyncio.wait_for(task, 5)
    assert (await registry.status("s1"))["subscribers"] == 0
    assert (await registry.status("s1"))["active"] is True  # the turn goes on without its reader


async def test_events_ready_together_go_out_in_one_write() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s1", "sess")
    for i in range(50):
        await registry.publish("s1", "token", {"i": i})
    await registry.finish("s1")
    client = Client()
    response = sse.EventStreamResponse(registry.subscribe("s1", after=10), heartbeat=10, retry_ms=None)
    await asyncio.wait_for(response(scope(), client.receive, client.send), 5)
    frames = [c for c in client.chunks if c]
    assert len(frames) == 1
    ids = [sse.decode_frame(f + b"\n\n")[0] for f in frames[0].split(b"\n\n") if f]
    assert ids == list(range(11, 51))


async def test_failed_write_on_asgi_2_4_ends_the_reply_at_the_next_heartbeat() -> None:
    from starlette.requests import ClientDisconnect

    registry = MemoryStreamRegistry()
    await registry.create("s1", "sess")
    client = Client()

    async def send(message: dict[str, Any]) -> None:
        if client.gone.is_set():
            raise OSError("connection closed")  # what a 2.4 server does once the client has gone
        await client.send(message)

    response = sse.EventStreamResponse(registry.subscribe("s1"), heartbeat=0.02)
    spec_24 = {**scope(), "asgi": {"version": "3.0", "spec_version": "2.4"}}
    task = asyncio.create_task(response(spec_24, client.receive, send))
    await client.wait_for(b"retry:")
    client.hang_up()
    with pytest.raises(ClientDisconnect):
        await asyncio.wait_for(task, 5)
    assert (await registry.status("s1"))["subscribers"] == 0
