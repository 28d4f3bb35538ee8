"""The in-process stream registry: ids, replay after an id, several and slow subscribers, exactly-once
delivery, the replay TTL, and unknown streams."""

from __future__ import annotations

import asyncio

import pytest

from threadkeep.chat.streams import MemoryStreamRegistry, StreamEvent, StreamFinished, StreamNotFound
from threadkeep.errors import Conflict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def collect(registry: MemoryStreamRegistry, stream_id: str, after: int = 0) -> list[StreamEvent]:
    return [event async for event in registry.subscribe(stream_id, after)]


async def test_ids_start_at_one_and_grow_by_one() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    assert [await registry.publish("s", "token", {"i": i}) for i in range(5)] == [1, 2, 3, 4, 5]
    status = await registry.status("s")
    assert status["last_event_id"] == 5
    assert status["active"] is True
    assert status["session_id"] == "sess"
    assert status["stream_id"] == "s"


async def test_event_unpacks_as_id_name_and_data() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    await registry.publish("s", "tool", {"name": "read_file", "args": {"path": "a\nb"}})
    await registry.finish("s")
    [event] = await collect(registry, "s")
    event_id, name, data = event
    assert (event_id, name, data) == (1, "tool", {"name": "read_file", "args": {"path": "a\nb"}})
    assert event.event == "tool"
    assert event.data == data
    assert event.frame.startswith(b"id: 1\nevent: tool\n")


async def test_subscriber_gets_events_after_the_id_then_live_ones_then_ends() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    for i in range(1, 6):
        await registry.publish("s", "token", {"i": i})
    reader = asyncio.create_task(collect(registry, "s", after=2))
    await asyncio.sleep(0)
    await registry.publish("s", "token", {"i": 6})
    await registry.publish("s", "done", {})
    await registry.finish("s")
    events = await asyncio.wait_for(reader, 5)
    assert [e.id for e in events] == [3, 4, 5, 6, 7]
    assert [e.data.get("i") for e in events] == [3, 4, 5, 6, None]


async def test_finished_stream_replays_everything_to_a_late_reader() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    for i in range(3):
        await registry.publish("s", "token", {"i": i})
    await registry.finish("s")
    assert [e.id for e in await collect(registry, "s")] == [1, 2, 3]
    assert [e.id for e in await collect(registry, "s", after=3)] == []
    assert (await registry.status("s"))["active"] is False


async def test_two_subscribers_see_the_same_events() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    readers = [asyncio.create_task(collect(registry, "s")) for _ in range(2)]
    await asyncio.sleep(0)
    for i in range(100):
        await registry.publish("s", "token", {"i": i})
        if i % 10 == 0:
            await asyncio.sleep(0)
    await registry.finish("s")
    first, second = await asyncio.wait_for(asyncio.gather(*readers), 5)
    assert [e.id for e in first] == [e.id for e in second] == list(range(1, 101))
    assert [e.data["i"] for e in first] == list(range(100))


async def test_slow_subscriber_blocks_neither_publisher_nor_other_subscribers() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    slow_seen: list[int] = []
    release = asyncio.Event()

    async def slow() -> None:
        async for event in registry.subscribe("s"):
            slow_seen.append(event.id)
            await release.wait()  # stuck on its first event until released

    slow_task = asyncio.create_task(slow())
    fast_task = asyncio.create_task(collect(registry, "s"))
    await asyncio.sleep(0)
    for i in range(1000):
        await registry.publish("s", "token", {"i": i})  # never waits for a reader
    await registry.finish("s")
    fast = await asyncio.wait_for(fast_task, 5)
    assert [e.id for e in fast] == list(range(1, 1001))
    assert slow_seen == [1]  # still on its first event while everything else is done
    assert (await registry.status("s"))["subscribers"] == 1
    release.set()
    await asyncio.wait_for(slow_task, 5)
    assert slow_seen == list(range(1, 1001))


async def test_reconnecting_after_last_seen_id_loses_and_duplicates_nothing() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    total = 500

    async def publisher() -> None:
        for i in range(total):
            await registry.publish("s", "token", {"i": i})
            if i % 7 == 0:
                await asyncio.sleep(0)
        await registry.finish("s")

    producing = asyncio.create_task(publisher())
    seen: list[int] = []
    last = 0
    while True:  # read a few events per connection, then "reconnect" with Last-Event-ID
        subscription = registry.subscribe("s", after=last)
        got = 0
        async for event in subscription:
            seen.append(event.id)
            last = event.id
            got += 1
            if got == 13:
                break
        await subscription.aclose()
        if got < 13:
            break
    await producing
    assert seen == list(range(1, total + 1))


async def test_batch_times_out_empty_and_ends_with_none() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    subscription = registry.subscribe("s")
    assert await subscription.batch(0.01) == []
    await registry.publish("s", "token", {})
    await registry.publish("s", "token", {})
    assert [e.id for e in await subscription.batch(0.01) or []] == [1, 2]
    await registry.finish("s")
    assert await subscription.batch(0.01) is None


async def test_finished_streams_are_purged_after_the_ttl() -> None:
    clock = Clock()
    registry = MemoryStreamRegistry(ttl=300, clock=clock)
    await registry.create("s", "sess")
    await registry.publish("s", "token", {"text": "x" * 100})
    await registry.finish("s")
    clock.now += 299
    assert (await registry.status("s"))["replay_expires_in"] == pytest.approx(1)
    assert [e.id for e in await collect(registry, "s")] == [1]
    clock.now += 2
    with pytest.raises(StreamNotFound):
        await registry.status("s")
    with pytest.raises(StreamNotFound):
        registry.subscribe("s")
    assert registry.stats() == {"streams": 0, "active": 0, "frame_bytes": 0}


async def test_active_streams_are_never_purged() -> None:
    clock = Clock()
    registry = MemoryStreamRegistry(ttl=1, clock=clock)
    await registry.create("s", "sess")
    clock.now += 10_000
    assert registry.purge() == 0
    assert (await registry.status("s"))["active"] is True


async def test_close_wakes_waiting_readers() -> None:
    registry = MemoryStreamRegistry(ttl=0)
    await registry.start()
    await registry.create("s", "sess")
    reader = registry.subscribe("s")
    waiting = asyncio.create_task(reader.batch(None))
    await asyncio.sleep(0)
    await registry.close()  # wakes readers: nothing more will come
    assert await asyncio.wait_for(waiting, 5) is None


async def test_unknown_stream_is_a_clear_not_found() -> None:
    registry = MemoryStreamRegistry()
    for call in (registry.status("nope"), registry.publish("nope", "token", {}), registry.finish("nope")):
        with pytest.raises(StreamNotFound) as caught:
            await call
        assert caught.value.status == 404
        assert caught.value.message == "Stream not found"
    with pytest.raises(StreamNotFound):
        registry.subscribe("nope")


async def test_publishing_after_finish_and_creating_twice_are_refused() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    await registry.finish("s")
    await registry.finish("s")  # idempotent
    with pytest.raises(StreamFinished):
        await registry.publish("s", "token", {})
    with pytest.raises(Conflict):
        await registry.create("s", "sess")


async def test_events_are_stored_once_as_encoded_frames() -> None:
    registry = MemoryStreamRegistry()
    await registry.create("s", "sess")
    for _ in range(1000):
        await registry.publish("s", "token", {"text": "tok"})
    frame_bytes = registry.stats()["frame_bytes"]
    assert frame_bytes < 1000 * 60  # ~45 bytes per token event, however many readers there are
    readers = [registry.subscribe("s") for _ in range(10)]
    assert registry.stats()["frame_bytes"] == frame_bytes
    for reader in readers:
        await reader.aclose()
