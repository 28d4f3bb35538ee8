#!/usr/bin/env python3
"""Accounts benchmark: what a login costs (argon2id) and what authentication adds to every request.

    .venv/bin/python bench/bench_auth.py [--quick]

Two real `threadkeep serve` processes on SQLite: one with `--auth none`, one with `--auth users`. Requests
alternate between them (a, b, a, b, ...) so the machine's noise hits both alike, and each server's own
`GET /health` is measured in the same rounds as the floor. Owns the "Accounts" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import replace_section, table_section  # noqa: E402

from tests.live import LiveServer  # noqa: E402

PASSWORD = "bench-password-1"
ENV = {"THREADKEEP_ACCESS_LOG": "false", "THREADKEEP_LOG_LEVEL": "warning"}


class Http:
    """One keep-alive connection that sends the same headers every time."""

    def __init__(self, base: str, **headers: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = headers

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any, Any]:
        data = None if body is None else orjson.dumps(body)
        sent = {**self.headers, **headers, **({"Content-Type": "application/json"} if data else {})}
        self.conn.request(method, path, body=data, headers=sent)
        reply = self.conn.getresponse()
        raw = reply.read()
        return reply.status, (orjson.loads(raw) if raw else None), reply


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def rounds(fns: dict[str, Callable[[], Any]], n: int, warmup: int = 20) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in fns}
    for i in range(n + warmup):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            if i >= warmup:
                out[name].append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 300 if args.quick else 3000
    tmp = Path(tempfile.mkdtemp(prefix="threadkeep-bench-auth-"))
    subprocess.run([sys.executable, "-m", "threadkeep", "user", "add", "bench", "--admin", "--password-stdin",
                    "--data-dir", str(tmp / "users")], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)
    plain = LiveServer(tmp / "none", env=ENV)
    guarded = LiveServer(tmp / "users", env={**ENV, "THREADKEEP_AUTH": "users"})
    results: dict[str, str] = {}
    met: dict[str, bool] = {}
    plain.start()
    guarded.start()
    try:
        anon = Http(guarded.base)
        logins = []
        for _ in range(10 if args.quick else 40):
            t = time.perf_counter()
            status, body, reply = anon.call("POST", "/api/auth/login", {"username": "bench", "password": PASSWORD})
            logins.append((time.perf_counter() - t) * 1000)
            assert status == 200, body
        cookie = reply.getheader("set-cookie").split(";")[0]
        csrf = body["csrf_token"]
        t = time.perf_counter()
        wrong = anon.call("POST", "/api/auth/login", {"username": "bench", "password": "wrong-wrong"})
        wrong_ms = (time.perf_counter() - t) * 1000
        assert wrong[0] == 401
        browser = Http(guarded.base, Cookie=cookie, **{"X-CSRF-Token": csrf})
        token = browser.call("POST", "/api/auth/tokens", {"name": "bench", "scope": "read"})[1]["token"]
        script = Http(guarded.base, Authorization=f"Bearer {token}")
        messages = [{"role": "user" if k % 2 == 0 else "assistant", "content": f"message {k}"} for k in range(10)]
        open_plain = Http(plain.base)
        sid_plain = open_plain.call("POST", "/api/session/import", {"title": "t", "messages": messages})[1]
        sid_users = browser.call("POST", "/api/session/import", {"title": "t", "messages": messages})[1]
        path_plain = f"/api/session?session_id={sid_plain['session']['session_id']}"
        path_users = f"/api/session?session_id={sid_users['session']['session_id']}"

        def get(client: Http, path: str) -> Callable[[], Any]:
            def run() -> None:
                status = client.call("GET", path)[0]
                assert status == 200, (path, status)
            return run

        plain_health = Http(plain.base)
        guarded_health = Http(guarded.base)
        samples = rounds({
            "none: GET /health": get(plain_health, "/health"),
            "users: GET /health": get(guarded_health, "/health"),
            "none: GET /api/session": get(open_plain, path_plain),
            "users, cookie: GET /api/session": get(browser, path_users),
            "users, token: GET /api/session": get(script, path_users),
        }, n)
        med = {k: p50(v) for k, v in samples.items()}
        floor = med["none: GET /health"]
        results["login (argon2id m=19 MiB, t=2, p=1), right password"] = \
            f"p50 {p50(logins):.1f} ms (n={len(logins)})"
        results["login, wrong password (same argon2 check, plus the throttle's write)"] = f"{wrong_ms:.1f} ms"
        for name, value in med.items():
            results[f"{name} p50"] = f"{value:.3f} ms ({value / floor:.2f}x the floor, n={n})"
        # Each server's own public `GET /health` (no authentication on either) is taken off its figure, so the two
        # processes' own speed difference does not count as the cost of authentication.
        base = med["none: GET /api/session"] - med["none: GET /health"]
        server_gap = med["users: GET /health"] - med["none: GET /health"]
        for kind in ("cookie", "token"):
            added = med[f"users, {kind}: GET /api/session"] - med["users: GET /health"] - base
            results[f"added by authentication, {kind} (each server less its own /health)"] = (
                f"{added:+.3f} ms ({added / floor:+.2f}x the floor); servers' /health gap {server_gap:+.3f} ms")
            met[f"auth adds <= 0.2 ms p50 on GET /api/session ({kind})"] = added <= 0.2
        met["a login costs < 500 ms"] = p50(logins) < 500
    finally:
        plain.stop()
        guarded.stop()
    intro = [f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {os.cpu_count()} CPUs; "
             f"Python {sys.version.split()[0]}; SQLite; one `threadkeep serve` per mode",
             "- One keep-alive http.client connection per kind of request; the five requests are timed in turn "
             "(round robin) so noise hits them alike. Floor: `GET /health` of the `--auth none` server."]
    section = table_section("Accounts (issue 4/8): `bench/bench_auth.py`" + (" --quick" if args.quick else ""),
                            intro, results, met)
    print(section)
    replace_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
