"""64 threads of mixed retry/undo/rename/append over live HTTP, on one session and on many.

Every turn is a user message and its reply with the same unique marker; appends add whole turns, cuts remove
whole turns. Afterwards each transcript must be whole turns with unique markers, message_count must match,
and the removed counts reported to clients must reconcile with what is left. No 5xx, ever.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.http_client import Client
from tests.live import LiveServer

THREADS = 64
OPS_PER_THREAD = 25


def turn(marker: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"q {marker}"}, {"role": "assistant", "content": f"a {marker}"}]


@pytest.fixture
def server(tmp_path: Path, live_database_url: str | None) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "data", database_url=live_database_url)
    live.start()
    yield live
    live.stop()


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.appended: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        self.statuses: list[int] = []

    def add(self, table: dict[str, int], sid: str, n: int) -> None:
        with self.lock:
            table[sid] = table.get(sid, 0) + n


def worker(base: str, sids: list[str], tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(base)
    try:
        for i in range(OPS_PER_THREAD):
            sid = rng.choice(sids)
            op = rng.choice(["append", "append", "retry", "undo", "rename"])
            if op == "append":
                status, body = client.post("/api/session/append",
                                           {"session_id": sid, "messages": turn(f"t{seed}-{i}")})
                if status == 200:
                    tally.add(tally.appended, sid, 2)
            elif op in ("retry", "undo"):
                status, body = client.post(f"/api/session/{op}", {"session_id": sid})
                if status == 200:
                    tally.add(tally.removed, sid, body["removed_count"])
                else:
                    assert status == 400 and body["error"] in ("Nothing to undo.", "No previous message to retry.")
            else:
                status, body = client.post("/api/session/rename", {"session_id": sid, "title": f"r{seed}-{i}"})
            with tally.lock:
                tally.statuses.append(status)
    finally:
        client.close()


def check_session(base: str, sid: str, initial: int, tally: Tally) -> None:
    status, body = Client(base).get(f"/api/session?session_id={sid}")
    assert status == 200
    msgs = body["session"]["messages"]
    assert body["session"]["message_count"] == len(msgs)
    assert len(msgs) == initial + tally.appended.get(sid, 0) - tally.removed.get(sid, 0)
    assert len(msgs) % 2 == 0
    markers = []
    for user, reply in zip(msgs[::2], msgs[1::2], strict=True):
        assert user["role"] == "user" and reply["role"] == "assistant"
        marker = user["content"].removeprefix("q ")
        assert reply["content"] == f"a {marker}", "a turn was torn apart"
        markers.append(marker)
    assert len(markers) == len(set(markers)), "a turn was duplicated"


def run_load(server: LiveServer, n_sessions: int) -> tuple[list[str], Tally, int]:
    client = Client(server.base)
    initial = 20
    sids = []
    for k in range(n_sessions):
        msgs = [m for i in range(initial // 2) for m in turn(f"seed{k}-{i}")]
        status, body = client.post("/api/session/import", {"title": "load", "messages": msgs})
        assert status == 200
        sids.append(body["session"]["session_id"])
    tally = Tally()
    with ThreadPoolExecutor(THREADS) as pool:
        for f in [pool.submit(worker, server.base, sids, tally, seed) for seed in range(THREADS)]:
            f.result()
    return sids, tally, initial


def test_64_threads_on_one_session(server: LiveServer) -> None:
    sids, tally, initial = run_load(server, 1)
    assert len(tally.statuses) == THREADS * OPS_PER_THREAD
    assert all(s < 500 for s in tally.statuses)
    check_session(server.base, sids[0], initial, tally)
    assert "database is locked" not in server.log_path.read_text()


def test_64_threads_on_many_sessions(server: LiveServer) -> None:
    sids, tally, initial = run_load(server, 16)
    assert all(s < 500 for s in tally.statuses)
    for sid in sids:
        check_session(server.base, sid, initial, tally)
    assert "database is locked" not in server.log_path.read_text()

