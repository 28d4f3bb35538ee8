#!/usr/bin/env python3
"""Core API benchmark: starts a real `threadkeep serve` (SQLite, and PostgreSQL when reachable) and measures
the session API over HTTP. Prints a table and writes bench/RESULTS.md (the "Core" section).

    .venv/bin/python bench/bench_core.py [--quick] [--skip-postgres]

Sessions for the big-store figures are bulk-loaded through the store's `create_many` verb (the same path
`threadkeep import` uses) before the server starts; the load rate is reported. Everything else goes over
HTTP with keep-alive connections, the way a client would.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.databases import postgres_database, postgres_unavailable  # noqa: E402
from tests.live import LiveServer  # noqa: E402
from threadkeep.database import Database  # noqa: E402
from threadkeep.messages import Message  # noqa: E402
from threadkeep.migrate import upgrade  # noqa: E402
from threadkeep.store import Draft, SessionStore  # noqa: E402

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar".split()


class Http:
    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        reply = self.conn.getresponse()
        raw = reply.read()
        if reply.status >= 500:
            raise RuntimeError(f"{method} {path}: {reply.status} {raw[:200]!r}")
        return json.loads(raw) if raw else None


def timed(fn: Callable[[], Any], n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1], "n": n}


def turn_messages(i: int, n: int) -> list[Message]:
    rng = random.Random(i)
    out = []
    for k in range(n):
        role = "user" if k % 2 == 0 else "assistant"
        out.append(Message(role=role, content=" ".join(rng.choices(WORDS, k=12)) + f" s{i}m{k}"))
    return out


async def bulk_load(url: str, count: int, workspace: str, messages_each: int = 2) -> float:
    """Load `count` sessions through create_many; returns sessions/s."""
    db = Database(url)
    await upgrade(db)
    store = SessionStore(db)
    start = time.perf_counter()
    now = time.time()
    for base in range(0, count, 2000):
        drafts = [
            Draft(workspace=workspace, title=f"{random.choice(WORDS)} chat {i}", messages=turn_messages(i, messages_each),
                  created_at=now - (count - i), updated_at=now - (count - i))
            for i in range(base, min(count, base + 2000))
        ]
        await store.create_many(drafts)
    elapsed = time.perf_counter() - start
    await db.dispose()
    return count / elapsed


class Bench:
    def __init__(self, label: str, database_url: str | None, quick: bool) -> None:
        self.label = label
        self.quick = quick
        self.tmp = Path(tempfile.mkdtemp(prefix=f"tk-bench-{label}-"))
        self.database_url = database_url or f"sqlite:///{self.tmp / 'data' / 'threadkeep.db'}"
        self.results: dict[str, Any] = {}
        self.server: LiveServer | None = None

    def start(self) -> Http:
        self.server = LiveServer(self.tmp / "data", database_url=self.database_url,
                                 env={"THREADKEEP_ACCESS_LOG": "false", "THREADKEEP_LOG_LEVEL": "warning"})
        self.server.start()
        return Http(self.server.base)

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    def rss_mb(self) -> float:
        assert self.server and self.server.proc
        return float(psutil.Process(self.server.proc.pid).memory_info().rss / 2**20)

    def load(self, count: int) -> None:
        (self.tmp / "data").mkdir(parents=True, exist_ok=True)
        rate = asyncio.run(bulk_load(self.database_url, count, str(self.tmp)))
        self.results.setdefault("load_rate", []).append(rate)

    def run(self) -> dict[str, Any]:
        n = 50 if self.quick else 200
        sizes = [1_000, 10_000, 100_000] if not self.quick else [1_000, 10_000, 20_000]
        loaded = 0
        # -- small store ------------------------------------------------------------------------
        self.load(100)
        loaded = 100
        client = self.start()
        self.results["rss_start_mb"] = self.rss_mb()
        self.results["create"] = timed(lambda: client.call("POST", "/api/session/new", {}), n)
        ten = client.call("POST", "/api/session/import", {"title": "ten", "messages": [
            m.to_dict() for m in turn_messages(1, 10)]})["session"]["session_id"]
        self.results["get_10"] = timed(lambda: client.call("GET", f"/api/session?session_id={ten}"), n)
        first = client.call("GET", "/api/sessions?limit=1")["sessions"][0]["session_id"]
        self.results["rename_small"] = timed(
            lambda: client.call("POST", "/api/session/rename", {"session_id": first, "title": "renamed"}), n)
        big = client.call("POST", "/api/session/import", {"title": "big", "messages": [
            m.to_dict() for m in turn_messages(2, 10_000)]})["session"]["session_id"]
        self.results["get_last50_of_10k"] = timed(
            lambda: client.call("GET", f"/api/session?session_id={big}&msg_limit=50"), n)
        self.results["get_all_10k"] = timed(lambda: client.call("GET", f"/api/session?session_id={big}"), 30)
        self.results["undo_10"] = self._undo(client, 10, n)
        self.results["undo_10k"] = self._undo(client, 10_000, n)
        self.results["mixed_8"] = self._mixed(8, 4.0 if self.quick else 10.0)
        self.results["rss_after_mixed_mb"] = self.rss_mb()
        self.stop()
        # -- growing store ----------------------------------------------------------------------
        for size in sizes:
            self.load(size - loaded)
            loaded = size
            client = self.start()
            self.results[f"list_first_page_{size}"] = timed(lambda: client.call("GET", "/api/sessions?limit=50"), n)
            if size == 10_000:
                self.results["list_all_10000"] = timed(lambda: client.call("GET", "/api/sessions"), 20)
            if size == sizes[-1]:
                self.results[f"search_{size}"] = timed(
                    lambda: client.call("GET", f"/api/sessions/search?q={random.choice(WORDS)}"), n)
                self.results[f"search_rare_{size}"] = timed(
                    lambda: client.call("GET", f"/api/sessions/search?q=s{random.randrange(size)}m1"), n)
                some = client.call("GET", "/api/sessions?limit=1")["sessions"][0]["session_id"]
                self.results["rename_large"] = timed(
                    lambda: client.call("POST", "/api/session/rename", {"session_id": some, "title": "r"}), n)
                self.results["rss_end_mb"] = self.rss_mb()
                self.results["sessions_in_store"] = size
            self.stop()
        return self.results

    def _undo(self, client: Http, length: int, n: int) -> dict[str, float]:
        msgs = [m.to_dict() for m in turn_messages(3, length)]
        sid = client.call("POST", "/api/session/import", {"title": "u", "messages": msgs})["session"]["session_id"]
        tail = [{"role": "user", "content": "again"}, {"role": "assistant", "content": "ok"}]
        samples = []
        for _ in range(n):
            client.call("POST", "/api/session/append", {"session_id": sid, "messages": tail})
            t = time.perf_counter()
            client.call("POST", "/api/session/undo", {"session_id": sid})
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        return {"p50": statistics.median(samples), "p95": samples[int(n * 0.95) - 1], "n": n}

    def _mixed(self, clients: int, seconds: float) -> dict[str, float]:
        assert self.server
        base = self.server.base
        setup = Http(base)
        pool = [setup.call("POST", "/api/session/import", {"title": f"m{i}", "messages": [
            m.to_dict() for m in turn_messages(i, 10)]})["session"]["session_id"] for i in range(50)]
        counts = [0] * clients
        stop = time.monotonic() + seconds

        def work(k: int) -> None:
            rng = random.Random(k)
            c = Http(base)
            while time.monotonic() < stop:
                r = rng.random()
                sid = rng.choice(pool)
                if r < 0.4:
                    c.call("GET", f"/api/session?session_id={sid}")
                elif r < 0.6:
                    c.call("GET", "/api/sessions?limit=50")
                elif r < 0.8:
                    c.call("POST", "/api/session/rename", {"session_id": sid, "title": f"t{rng.random()}"})
                elif r < 0.9:
                    c.call("POST", "/api/session/import", {"title": "x", "messages": [
                        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
                else:
                    c.call("POST", "/api/session/append", {"session_id": sid, "messages": [
                        {"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]})
                    c.call("POST", "/api/session/undo", {"session_id": sid})
                    counts[k] += 1
                counts[k] += 1

        start = time.perf_counter()
        threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        return {"ops": sum(counts), "ops_per_s": sum(counts) / elapsed}


def fmt(r: dict[str, Any] | float | int) -> str:
    if isinstance(r, dict):
        if "ops_per_s" in r:
            return f"{r['ops_per_s']:.0f} ops/s ({r['ops']} ops)"
        return f"p50 {r['p50']:.2f} ms · p95 {r['p95']:.2f} ms"
    return f"{r:.1f}" if isinstance(r, float) else str(r)


def targets(r: dict[str, Any], label: str) -> list[tuple[str, str, bool | None]]:
    big = r.get("sessions_in_store", 0)
    out: list[tuple[str, str, bool | None]] = []
    page = r.get(f"list_first_page_{big}")
    if page:
        out.append((f"list first page (limit=50) at {big:,} sessions p50 < 15 ms", fmt(page), page["p50"] < 15))
    if "list_all_10000" in r:
        out.append(("unpaged list at 10,000 sessions < 150 ms", fmt(r["list_all_10000"]),
                    r["list_all_10000"]["p50"] < 150))
    out.append(("last 50 of a 10,000-message session < 5 ms", fmt(r["get_last50_of_10k"]),
                r["get_last50_of_10k"]["p50"] < 5))
    out.append(("whole 10,000-message session < 60 ms", fmt(r["get_all_10k"]), r["get_all_10k"]["p50"] < 60))
    ratio = r["undo_10k"]["p50"] / r["undo_10"]["p50"]
    out.append(("undo on 10,000 within 1.5x of undo on 10", f"ratio {ratio:.2f}", ratio <= 1.5))
    if "rename_large" in r:
        ratio = r["rename_large"]["p50"] / r["rename_small"]["p50"]
        out.append((f"rename at {big:,} within 1.5x of rename at 100", f"ratio {ratio:.2f}", ratio <= 1.5))
    mixed = r["mixed_8"]["ops_per_s"]
    out.append(("mixed 8 clients >= 2,000 ops/s" + (" (SQLite target)" if label != "sqlite" else ""),
                f"{mixed:.0f} ops/s", mixed >= 2000 if label == "sqlite" else None))
    rss = r.get("rss_end_mb", r["rss_after_mixed_mb"])
    out.append(("server RSS < 100 MB after the run", f"{rss:.0f} MB", rss < 100))
    return out


def report(all_results: dict[str, dict[str, Any]], quick: bool) -> str:
    pg_version = ""
    lines = ["# Benchmark results", "", "## Core (issue 1/3): `bench/bench_core.py`" + (" --quick" if quick else ""), "",
             f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- Machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
             f"{platform.platform()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{pg_version}",
             "- Server: one `threadkeep serve` process (uvicorn, 1 worker), access log off; clients on the same "
             "machine over loopback with keep-alive. p50/p95 are per request, wall-clock, client side.", ""]
    for label, r in all_results.items():
        lines += [f"### {label}", "", "| measurement | result |", "|---|---|"]
        for key, value in r.items():
            if key == "load_rate":
                value = f"{statistics.mean(value):,.0f} sessions/s (2 messages each, bulk import)"
                lines.append(f"| bulk load rate | {value} |")
                continue
            lines.append(f"| {key} | {fmt(value)} |")
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        for name, measured, met in targets(r, label):
            lines.append(f"| {name} | {measured} | {'yes' if met else 'n/a' if met is None else 'NO'} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller store and fewer iterations")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    bench = Bench("sqlite", None, args.quick)
    results["sqlite"] = bench.run()
    print(report({"sqlite": results["sqlite"]}, args.quick))
    if not args.skip_postgres and postgres_unavailable() is None:
        with postgres_database() as url:
            results["postgresql"] = Bench("postgresql", url, args.quick).run()
    text = report(results, args.quick)
    print(text)
    out = ROOT / "bench" / "RESULTS.md"
    existing = out.read_text() if out.exists() else ""
    marker = "\n## Chat (issue 2/3)"
    tail = existing[existing.index(marker):] if marker in existing else ""
    out.write_text(text + tail)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
