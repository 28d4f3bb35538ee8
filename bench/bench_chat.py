#!/usr/bin/env python3
"""Chat streaming benchmark: a real `threadkeep serve` relaying a fake OpenAI-compatible provider that streams
as fast as it can (a separate process, through the real `openai` SDK path) to SSE clients over HTTP.

    .venv/bin/python bench/bench_chat.py [--quick]

Measures tokens/s relayed to one SSE client, 100 concurrent streams of 2,000 tokens (every token delivered
exactly once, checked by event ids and token indexes), the latency a token gains between the provider
writing it and the client reading it (both stamp CLOCK_MONOTONIC), and the server's RSS after 100 and after
1,000 completed turns. Writes the "Chat (issue 2/3)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from results import replace_section, table_section  # noqa: E402

from tests.live import LiveServer, free_port  # noqa: E402

FAKE = r"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "bench-model", "object": "model", "created": 0,
                                                          "owned_by": "bench"}]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        words = req["messages"][-1]["content"].split()
        n = int(words[1])
        pace = 1 / float(words[2]) if len(words) > 2 and float(words[2]) else 0.0
        para = int(words[3]) if len(words) > 3 else 0  # a blank line every `para` tokens (UI bench)
        self.send_response(200); self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close"); self.end_headers()
        head = '{"id":"c","object":"chat.completion.chunk","created":0,"model":"bench-model","choices":[{"index":0,"delta":{"content":"'
        tail = '"},"finish_reason":null}]}'
        w = self.wfile
        for i in range(n):
            if pace:
                time.sleep(pace)
            sep = "\\n\\n" if para and i % para == para - 1 else " "
            w.write(("data: " + head + f"{i}:{time.monotonic_ns()}" + sep + tail + "\n\n").encode())
            if pace or i % 8 == 7: w.flush()
        w.write(b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"bench-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
        w.write(b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"bench-model","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":%d,"total_tokens":%d}}\n\n' % (n, n + 10))
        w.write(b"data: [DONE]\n\n"); w.flush()
        self.close_connection = True

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 256
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
"""


class Reader:
    """Reads one SSE stream; records token indexes, event ids and per-token latency."""

    def __init__(self, base: str, stream_id: str) -> None:
        self.base, self.stream_id = base, stream_id
        self.ids: list[int] = []
        self.indexes: list[int] = []
        self.latencies_us: list[float] = []
        self.first = self.last = 0.0

    def run(self) -> Reader:
        host, port = self.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        conn.request("GET", f"/api/chat/stream?stream_id={self.stream_id}")
        fp = conn.getresponse().fp
        event = ""
        while True:
            line = fp.readline()
            if not line:
                break
            if line.startswith(b"id: "):
                self.ids.append(int(line[4:]))
            elif line.startswith(b"event: "):
                event = line[7:].strip().decode()
            elif line.startswith(b"data: ") and event == "token":
                now = time.monotonic_ns()
                text = json.loads(line[6:])["text"]
                for piece in text.split():
                    index, stamp = piece.split(":")
                    self.indexes.append(int(index))
                    self.latencies_us.append((now - int(stamp)) / 1000)
                self.last = time.perf_counter()
                if not self.first:
                    self.first = self.last
            elif line.startswith(b"data: ") and event == "stream_end":
                break
        conn.close()
        return self


def call(base: str, method: str, path: str, body: Any = None) -> Any:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    data = json.loads(reply.read())
    conn.close()
    if reply.status >= 400:
        raise RuntimeError(f"{path}: {reply.status} {data}")
    return data


def turn(base: str, tokens: int, rate: int = 0) -> Reader:
    sid = call(base, "POST", "/api/session/new", {})["session"]["session_id"]
    message = f"stream {tokens} {rate}" if rate else f"stream {tokens}"
    started = time.perf_counter()
    stream_id = call(base, "POST", "/api/chat/start", {"session_id": sid, "message": message,
                                                       "model": "bench-model"})["stream_id"]
    reader = Reader(base, stream_id)
    reader.first = started  # from the user's send to the last token
    return reader.run()


def exactly_once(reader: Reader, tokens: int) -> bool:
    return reader.indexes == list(range(tokens)) and reader.ids == list(range(1, len(reader.ids) + 1))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    fake_port = free_port()
    fake = subprocess.Popen([sys.executable, "-c", FAKE, str(fake_port)], stdout=subprocess.PIPE, text=True)
    assert fake.stdout and fake.stdout.readline().strip() == "ready"
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-chat-"))
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1", "OPENAI_API_KEY": "bench",
           "THREADKEEP_ACCESS_LOG": "false", "THREADKEEP_LOG_LEVEL": "warning", "THREADKEEP_MAX_TOOL_STEPS": "0"}
    server = LiveServer(tmp / "data", env=env)
    server.start()
    proc = psutil.Process(server.proc.pid) if server.proc else None
    results: dict[str, str] = {}
    met: dict[str, bool] = {}
    try:
        turn(server.base, 100)  # warm up
        one = turn(server.base, 5_000 if args.quick else 20_000)
        rate = len(one.indexes) / (one.last - one.first)
        results["tokens/s relayed to one SSE client"] = f"{rate:,.0f} ({len(one.indexes):,} tokens)"
        met["one client >= 20,000 tokens/s"] = rate >= 20_000
        # Latency is measured on a paced stream (a flat-out one measures the backlog, not the relay).
        paced = turn(server.base, 1_000, rate=500)
        lat = paced.latencies_us
        results["added latency provider -> client (500 tokens/s stream)"] = (
            f"p50 {pct(lat, 0.5) / 1000:.2f} ms · p95 {pct(lat, 0.95) / 1000:.2f} ms")
        met["latency p50 < 2 ms"] = pct(lat, 0.5) < 2000

        streams, tokens = (20, 500) if args.quick else (100, 2_000)
        start = time.perf_counter()
        with ThreadPoolExecutor(streams) as pool:
            readers = list(pool.map(lambda _: turn(server.base, tokens), range(streams)))
        elapsed = time.perf_counter() - start
        ok = sum(exactly_once(r, tokens) for r in readers)
        all_lat = [x for r in readers for x in r.latencies_us]
        results[f"{streams} concurrent streams x {tokens:,} tokens"] = (
            f"{ok}/{streams} exactly once; {streams * tokens / elapsed:,.0f} tokens/s total; "
            f"latency p50 {pct(all_lat, 0.5) / 1000:.1f} ms, p95 {pct(all_lat, 0.95) / 1000:.1f} ms")
        met["every token delivered exactly once"] = ok == streams

        assert proc is not None
        rss: dict[int, float] = {}
        done = 0
        with ThreadPoolExecutor(10) as pool:
            for target in (100, 1_000):
                list(pool.map(lambda _: turn(server.base, 50), range(target - done)))
                done = target
                rss[target] = proc.memory_info().rss / 2**20
        growth = rss[1_000] - rss[100]
        results["server RSS after 100 / 1,000 turns"] = f"{rss[100]:.0f} MB / {rss[1_000]:.0f} MB ({growth:+.1f} MB)"
        met["RSS flat within 20 MB from 100 to 1,000 turns"] = growth <= 20
    finally:
        server.stop()
        fake.terminate()
    write(results, met, args.quick)
    return 0


def write(results: dict[str, str], met: dict[str, bool], quick: bool) -> None:
    intro = [f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {os.cpu_count()} CPUs; "
             f"Python {sys.version.split()[0]}",
             "- A fake OpenAI-compatible server in its own process streams as fast as it can; threadkeep relays "
             "through the real `openai` SDK, stores the turn, and serves SSE to Python clients over loopback."]
    section = table_section("Chat (issue 2/3): `bench/bench_chat.py`" + (" --quick" if quick else ""),
                            intro, results, met)
    print(section)
    replace_section(section)


if __name__ == "__main__":
    sys.exit(main())
