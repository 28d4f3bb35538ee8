"""kill -9 the server while clients write; after a restart every acknowledged write is there, nothing torn."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.http_client import Client
from tests.live import LiveServer
from tests.test_live_concurrency import turn

WRITERS = 6


def writer(base: str, sid: str, k: int, acked: list[str], renamed: dict[str, str], imported: list[str],
           stop: threading.Event) -> None:
    client = Client(base, timeout=5)
    i = 0
    while not stop.is_set() and i < 10_000:
        marker = f"w{k}-{i}"
        try:
            if i % 10 == 9:
                status, body = client.post("/api/session/import",
                                           {"title": marker, "messages": turn(marker)})
                if status == 200:
                    imported.append(body["session"]["session_id"])
            elif i % 10 == 5:
                status, _ = client.post("/api/session/rename", {"session_id": sid, "title": marker})
                if status == 200:
                    renamed[sid] = marker
            else:
                status, _ = client.post("/api/session/append", {"session_id": sid, "messages": turn(marker)})
                if status == 200:
                    acked.append(marker)
        except OSError:
            return  # the server is gone
        i += 1


def test_acknowledged_writes_survive_kill_9(tmp_path: Path, live_database_url: str | None) -> None:
    server = LiveServer(tmp_path / "data", database_url=live_database_url)
    server.start()
    try:
        client = Client(server.base)
        sids = [client.post("/api/session/new", {})[1]["session"]["session_id"] for _ in range(WRITERS)]
        client.close()
        acked: list[list[str]] = [[] for _ in range(WRITERS)]
        renamed: dict[str, str] = {}
        imported: list[str] = []
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(server.base, sids[k], k, acked[k], renamed, imported, stop))
                   for k in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while sum(map(len, acked)) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=10)
        assert sum(map(len, acked)) >= 50, "the writers barely wrote before the kill"

        server.start()
        client = Client(server.base)
        for k, sid in enumerate(sids):
            status, body = client.get(f"/api/session?session_id={sid}")
            assert status == 200
            session = body["session"]
            msgs = session["messages"]
            assert session["message_count"] == len(msgs) and len(msgs) % 2 == 0
            stored = []
            for user, reply in zip(msgs[::2], msgs[1::2], strict=True):
                marker = user["content"].removeprefix("q ")
                assert reply["content"] == f"a {marker}", "a turn was torn by the crash"
                stored.append(marker)
            # Everything acknowledged is there, in order; at most the one in-flight write may be extra.
            assert stored[: len(acked[k])] == acked[k]
            assert len(stored) - len(acked[k]) <= 1
            if sid in renamed:
                # The last acknowledged rename, or the one rename that was in flight after it.
                acked_step = int(renamed[sid].split("-")[1])
                title_step = int(session["title"].split("-")[1])
                assert title_step == acked_step or title_step == acked_step + 10
        for sid in imported:
            status, body = client.get(f"/api/session?session_id={sid}")
            assert status == 200 and body["session"]["message_count"] == 2
        status, body = client.post("/api/session/append", {"session_id": sids[0], "messages": turn("after")})
        assert status == 200
    finally:
        server.stop()
