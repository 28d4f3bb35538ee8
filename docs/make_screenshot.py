#!/usr/bin/env python3
"""Regenerate docs/screenshot.png (the README's picture): a real server with the demo model, a few chats,
one demo turn with a tool call, the workspace panel open; headless Debian Chromium.

    .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.http_client import Client  # noqa: E402
from tests.live import LiveServer  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CHATS = ["Refactor the session store", "Why is my Postgres query slow?", "Trip plan: Lisbon in March",
         "Draft release notes for 0.3", "Explain keyset pagination"]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tk-shot-"))
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", "ANTHROPIC_API_KEY": ""}
    server = LiveServer(tmp / "data", env=env)
    server.start()
    try:
        api = Client(server.base)
        workspace = tmp / "data" / "workspace"
        (workspace / "src").mkdir(parents=True, exist_ok=True)
        (workspace / "README.md").write_text("# demo project\n")
        (workspace / "src" / "app.py").write_text("def main() -> None:\n    print('hello')\n")
        for title in CHATS:
            sid = api.post("/api/session/new", {})[1]["session"]["session_id"]
            api.post("/api/session/append", {"session_id": sid, "messages": [
                {"role": "user", "content": title}, {"role": "assistant", "content": "…"}]})
            api.post("/api/session/rename", {"session_id": sid, "title": title})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 860}, device_scale_factor=1)
            page.goto(server.base + "/")
            page.wait_for_selector("html[data-ready='true']")
            box = page.get_by_label("Message", exact=True)
            box.fill("List the files in my workspace")
            box.press("Enter")
            page.wait_for_selector("#messages[data-running='true']")
            page.wait_for_selector("#messages[data-running='false']", timeout=30_000)
            page.keyboard.press("Control+j")
            page.wait_for_timeout(800)
            out = ROOT / "docs" / "screenshot.png"
            page.screenshot(path=str(out))
            print(f"wrote {out}")
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
