"""The run_command card in a real browser says whether the command ran sandboxed, live and after a reload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI, Reply, ToolCall
from tests.live import LiveServer
from tests.ui.conftest import _server
from tests.ui.test_chat import send, wait_idle
from threadkeep.chat.sandbox import Sandbox

_BWRAP = Sandbox().status()


@pytest.fixture(params=["off", pytest.param("auto", marks=pytest.mark.skipif(
    _BWRAP["kind"] != "bwrap", reason=f"no sandbox here: {_BWRAP['reason']}"))])
def sandbox_server(request: pytest.FixtureRequest, tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[LiveServer]:
    server = _server(tmp_path, {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-ui-test",
                                "THREADKEEP_DEFAULT_MODEL": "fake-model", "THREADKEEP_SANDBOX": request.param})
    yield server
    server.stop()


def test_command_card_says_whether_it_ran_sandboxed(open_page: Callable[..., Any], sandbox_server: LiveServer,
                                                    fake_openai: FakeOpenAI) -> None:
    sandboxed = sandbox_server.extra_env["THREADKEEP_SANDBOX"] == "auto"
    label = "sandboxed" if sandboxed else "unsandboxed"
    page = open_page(sandbox_server)
    call = ToolCall(id="call_c1", name="run_command", arguments='{"command": "echo hi"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Ran it."]))
    send(page, "Run something")
    card = page.locator(".tool-card[data-tool-call-id='call_c1']")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_attribute("data-state", "ok")
    expect(card.locator(".tool-sandbox")).to_have_text(label)
    expect(card.locator(".tool-sandbox")).to_have_attribute("data-sandboxed", str(sandboxed).lower())
    wait_idle(page)
    page.reload()
    card = page.locator(".tool-card[data-tool-call-id='call_c1']")
    expect(card).to_have_attribute("data-state", "ok")
    expect(card.locator(".tool-sandbox")).to_have_text(label)
