"""Browser tests: Playwright (Python) driving Debian's Chromium against a live `threadkeep serve`.

Fixtures:
  ui_server   a real server subprocess whose OpenAI-compatible provider is the test's `fake_openai`
              (script replies with `fake_openai.enqueue(Reply(...))`); the demo provider is there too.
  demo_server a real server with no provider configured: the demo model only, as a new user sees it.
  page        a fresh browser page (1280x800) on `ui_server`'s `/`, ready (sidebar listed, chat mounted);
              after the test a screenshot goes to artifacts/ui/<test>.png and any page error or console
              error fails the test.
  open_page   a factory: open_page(server, viewport=(w, h), color_scheme="dark") for other set-ups.
  api         a small HTTP client (tests.http_client.Client) on ui_server, to set up or check state.

Chromium: /usr/bin/chromium (`apt-get install -y chromium`); without it every test here skips with a one-line
reason. THREADKEEP_REQUIRE_SERVICES=1 (set by .ci/run) turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.http_client import Client
from tests.live import LiveServer

CHROMIUM = os.environ.get("THREADKEEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui"

pytestmark = pytest.mark.browser

# CI runs these on a loaded 2-core machine next to live servers: give assertions room (they return as soon as
# they hold, so a passing test is not slower).
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=12_000)
except ImportError:  # without Playwright the tests skip anyway
    pass


def _chromium_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _chromium_missing()
    for item in items:
        if "tests/ui/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.browser)
        if reason and os.environ.get("THREADKEEP_REQUIRE_SERVICES") != "1":
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _chromium_missing()
    if reason:
        pytest.fail(reason) if os.environ.get("THREADKEEP_REQUIRE_SERVICES") == "1" else pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _server(tmp_path: Path, env: dict[str, str]) -> LiveServer:
    workspace = tmp_path / "data" / "workspace"
    server = LiveServer(tmp_path / "data", env={"THREADKEEP_CHECKPOINT_SECONDS": "0.2",
                                                "THREADKEEP_PROVIDER_MAX_RETRIES": "0", **env})
    server.start()
    server.workspace = workspace  # type: ignore[attr-defined]
    return server


@pytest.fixture
def ui_server(tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[LiveServer]:
    server = _server(tmp_path, {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-ui-test",
                                "THREADKEEP_DEFAULT_MODEL": "fake-model"})
    yield server
    server.stop()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[LiveServer]:
    env = {k: "" for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY")}
    server = _server(tmp_path, env)
    yield server
    server.stop()


@pytest.fixture
def api(ui_server: LiveServer) -> Client:
    return Client(ui_server.base)


class PageErrors(list[str]):
    """Uncaught page errors and console errors seen during a test."""


@pytest.fixture
def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []
    errors = PageErrors()
    pages: list[Any] = []

    def _open(server: LiveServer, *, viewport: tuple[int, int] = (1280, 800), color_scheme: str = "light",
              path: str = "/", wait_ready: bool = True, **context_args: Any) -> Any:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      color_scheme=color_scheme, base_url=server.base, **context_args)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" and not _expected_console_error(msg) else None)
        page.goto(path)
        if wait_ready:
            page.wait_for_selector("html[data-ready='true']")
        pages.append(page)
        return page

    yield _open
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for i, page in enumerate(pages):
        if not page.is_closed():
            suffix = "" if i == 0 else f"-{i}"
            with contextlib.suppress(Exception):  # a crashed page must not hide the test's own failure
                page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"))
    for context in contexts:
        context.close()
    assert not errors, "errors in the page:\n" + "\n".join(errors)


def _expected_console_error(msg: Any) -> bool:
    text = msg.text
    # Chromium logs every non-2xx fetch as a console error; the tests provoke some on purpose (404, 409, 4xx).
    if "Failed to load resource" in text or "the server responded with a status of" in text:
        return True
    # DOMPurify parses hostile markup in an inert document; the page's CSP still refuses its event handlers
    # there and Chromium says so. That is the CSP working (nothing runs), not a page error.
    return "Content Security Policy" in text and "purify-" in (msg.location or {}).get("url", "")


@pytest.fixture
def page(open_page: Callable[..., Any], ui_server: LiveServer) -> Any:
    return open_page(ui_server)
