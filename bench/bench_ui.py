#!/usr/bin/env python3
"""Web UI benchmark in headless Chromium (Debian's /usr/bin/chromium) against a real `threadkeep serve`.

    .venv/bin/python bench/bench_ui.py [--quick]

Measures: time to interactive of `/` (the page's `threadkeep-ready` mark: sidebar's first page listed, chat
mounted) with 10 and with 10,000 sessions in the store; opening a 2,000-message session until its newest
messages are painted (switching from another session, and a cold load of its URL); main-thread time per
streamed token and long tasks while a reply streams at 200 tokens/s (Chrome's Performance.getMetrics
TaskDuration, and a PerformanceObserver for `longtask`). Writes the "Web UI (issue 3/3)" section of
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_chat import FAKE  # noqa: E402
from bench_core import _load  # noqa: E402
from results import replace_section, table_section  # noqa: E402

from tests.live import LiveServer, free_port  # noqa: E402
from threadkeep.db.database import Database  # noqa: E402
from threadkeep.db.migrate import upgrade  # noqa: E402
from threadkeep.db.schema import LOCAL_USER_ID  # noqa: E402
from threadkeep.sessions.messages import Message  # noqa: E402
from threadkeep.sessions.store import Draft, SessionStore  # noqa: E402

CHROMIUM = os.environ.get("THREADKEEP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LONG_ID = "0000long2000"

REPLY = """Here is what I found in **{n}**:

1. The store keeps every message as a row.
2. Paging reads only the page.

```python
def page(session_id: str, before: int | None = None) -> list[Message]:
    return store.page_of_messages(session_id, limit=60, before=before)  # {n}
```

| step | cost |
|---|---|
| open | one page |
"""


async def _long_session(url: str, workspace: str, n: int) -> None:
    db = Database(url)
    await upgrade(db)
    store = SessionStore(db, LOCAL_USER_ID)
    msgs = [Message(role="user", content=f"Question {k}: how does paging work for message {k}?") if k % 2 == 0
            else Message(role="assistant", content=REPLY.format(n=k)) for k in range(n)]
    now = time.time()
    await store.create_many([Draft(session_id=LONG_ID, workspace=workspace, title="A 2,000-message session",
                                   messages=msgs, created_at=now - 5000, updated_at=now - 5000)])
    await db.dispose()


def server_with(sessions: int, tmp: Path, env: dict[str, str], long_messages: int = 0) -> LiveServer:
    data = tmp / f"data-{sessions}"
    data.mkdir(parents=True)
    url = f"sqlite:///{data / 'threadkeep.db'}"
    asyncio.run(_load(url, sessions, str(data)))
    if long_messages:
        asyncio.run(_long_session(url, str(data), long_messages))
    server = LiveServer(data, database_url=url, env=env)
    server.start()
    return server


def tti(browser: Any, base: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_selector("html[data-ready='true']", timeout=30_000)
        out.append(page.evaluate("performance.getEntriesByName('threadkeep-ready')[0].startTime"))
        rows = page.evaluate("document.querySelectorAll('#sidebar a, #sidebar [role=option], #sidebar li').length")
        assert rows > 0, "the sidebar listed nothing"
        context.close()
    return out


OPEN_JS = """async (sid) => {
  const t0 = performance.now();
  location.hash = '#/s/' + sid;
  const list = document.getElementById('messages');
  while (!(list.dataset.sessionId === sid && list.dataset.state === 'loaded')) {
    await new Promise(r => requestAnimationFrame(r));
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // painted
  const last = list.querySelector('article.msg:last-of-type');
  const box = last.getBoundingClientRect();
  return {ms: performance.now() - t0, visible: box.bottom <= innerHeight + 2 && box.bottom > 0,
          rendered: list.querySelectorAll('article.msg').length};
}"""


def open_long(browser: Any, base: str, other: str, runs: int) -> tuple[list[float], list[float], int]:
    switch, cold, rendered = [], [], 0
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(base + f"/#/s/{other}")
        page.wait_for_selector("#messages[data-state='loaded']", timeout=30_000)
        r = page.evaluate(OPEN_JS, LONG_ID)
        assert r["visible"], r
        switch.append(r["ms"])
        rendered = r["rendered"]
        page.goto("about:blank")
        page.goto(base + f"/#/s/{LONG_ID}")
        page.wait_for_selector(f"#messages[data-session-id='{LONG_ID}'][data-state='loaded']", timeout=30_000)
        cold.append(page.evaluate("""() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(
            () => r(performance.now()))))"""))
        context.close()
    return switch, cold, rendered


def streaming(browser: Any, base: str, tokens: int, rate: int, para: int) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector("html[data-ready='true']")
    page.evaluate("""() => { window.__long = [];
      new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => e.duration)))
        .observe({type: 'longtask', buffered: false}); }""")
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def metrics() -> dict[str, float]:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    box = page.get_by_label("Message", exact=True)
    box.fill(f"stream {tokens} {rate} {para}")
    before = metrics()
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_selector("#messages[data-running='true']")
    page.wait_for_selector("#messages[data-running='false']", timeout=tokens / rate * 1000 + 60_000)
    wall = time.perf_counter() - t0
    after = metrics()
    text = page.locator("article.msg-assistant").last.inner_text()
    got = len([w for w in text.split() if ":" in w])
    longs = page.evaluate("window.__long")
    context.close()
    busy_ms = (after["TaskDuration"] - before["TaskDuration"]) * 1000
    return {"tokens": tokens, "shown": got, "wall_s": wall, "busy_ms": busy_ms, "per_token_ms": busy_ms / tokens,
            "busy_share": busy_ms / 1000 / wall, "long_tasks": len(longs), "longest_ms": max(longs, default=0.0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs = 3 if args.quick else 7
    fake_port = free_port()
    fake = subprocess.Popen([sys.executable, "-c", FAKE, str(fake_port)], stdout=subprocess.PIPE, text=True)
    assert fake.stdout and fake.stdout.readline().strip() == "ready"
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1", "OPENAI_API_KEY": "bench",
           "THREADKEEP_DEFAULT_MODEL": "bench-model", "THREADKEEP_ACCESS_LOG": "false",
           "THREADKEEP_LOG_LEVEL": "warning", "THREADKEEP_MAX_TOOL_STEPS": "0"}
    tmp = Path(tempfile.mkdtemp(prefix="tk-bench-ui-"))
    print("loading 10 and 10,000 sessions (+ one of 2,000 messages)...", flush=True)
    small = server_with(10, tmp, env)
    big = server_with(10_000, tmp, env, long_messages=2000)
    results: dict[str, str] = {}
    met: dict[str, bool] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            tti(browser, big.base, 1)  # warm caches (page files, sqlite pages)
            t_small = tti(browser, small.base, runs)
            t_big = tti(browser, big.base, runs)
            med_small, med_big = statistics.median(t_small), statistics.median(t_big)
            results["time to interactive of `/`, 10 sessions"] = f"median {med_small:.0f} ms (min {min(t_small):.0f})"
            results["time to interactive of `/`, 10,000 sessions"] = (
                f"median {med_big:.0f} ms (min {min(t_big):.0f}); ratio to 10 sessions {med_big / med_small:.2f}x")
            met["TTI with 10,000 sessions < 1 s"] = med_big < 1000
            other = "000000000005"  # any listed session; _load ids are random, so find one via the API
            import json
            import urllib.request

            with urllib.request.urlopen(big.base + "/api/sessions?limit=2") as reply:
                other = next(s["session_id"] for s in json.loads(reply.read())["sessions"]
                             if s["session_id"] != LONG_ID)
            switch, cold, rendered = open_long(browser, big.base, other, runs)
            results["open a 2,000-message session from another (newest painted)"] = (
                f"median {statistics.median(switch):.0f} ms (min {min(switch):.0f}); {rendered} messages rendered")
            results["cold load of that session's URL (until newest painted)"] = (
                f"median {statistics.median(cold):.0f} ms")
            met["open a 2,000-message session < 500 ms"] = statistics.median(switch) < 500
            tokens = 600 if args.quick else 2000
            for label, para in (("paragraphs of 40 tokens", 40), ("worst case: one paragraph", 0)):
                s = streaming(browser, big.base, tokens, 200, para)
                results[f"streaming 200 tokens/s, {label}: main-thread time per token"] = (
                    f"{s['per_token_ms']:.2f} ms ({s['busy_share'] * 100:.0f}% of the main thread over "
                    f"{s['wall_s']:.1f} s; {int(s['shown'])}/{int(s['tokens'])} tokens shown)")
                results[f"streaming 200 tokens/s, {label}: long tasks (> 50 ms)"] = (
                    f"{s['long_tasks']} (longest {s['longest_ms']:.0f} ms)")
                met[f"no long task >= 50 ms while streaming ({label})"] = s["long_tasks"] == 0
                met[f"every streamed token shown ({label})"] = s["shown"] == s["tokens"]
            browser.close()
    finally:
        small.stop()
        big.stop()
        fake.terminate()
    write(results, met, args.quick)
    return 0


def write(results: dict[str, str], met: dict[str, bool], quick: bool) -> None:
    intro = [f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; {os.cpu_count()} CPUs; "
             "headless Debian Chromium; SQLite; a local fake OpenAI-compatible provider"]
    section = table_section("Web UI (issue 3/3): `bench/bench_ui.py`" + (" --quick" if quick else ""),
                            intro, results, met)
    print(section)
    replace_section(section)


if __name__ == "__main__":
    sys.exit(main())
