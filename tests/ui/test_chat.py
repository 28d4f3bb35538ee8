"""The chat panel in a real browser: send and watch a streamed reply, stop, retry, undo, edit, branch,
tool cards and approvals, errors, queue, reload mid-reply, hostile model output."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI, Reply, ToolCall
from tests.http_client import Client
from tests.live import LiveServer


def new_session(api: Client, **body: Any) -> str:
    status, data = api.post("/api/session/new", body)
    assert status == 200, data
    return str(data["session"]["session_id"])


def messages(api: Client, sid: str) -> list[dict[str, Any]]:
    status, data = api.get(f"/api/session?session_id={sid}")
    assert status == 200
    return list(data["session"]["messages"])


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def test_send_and_watch_a_streamed_reply(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=["Hello", " **there**", "\n\n```python\nprint(1)\n```"], delay=0.15))
    send(page, "Say hello")
    live = page.locator("article.msg-assistant[data-live='true']")
    expect(live).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    reply = page.locator("article.msg-assistant").last
    expect(reply.locator("strong")).to_have_text("there")
    expect(reply.locator("pre code.hljs")).to_contain_text("print")
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    expect(page.locator("article.msg-user")).to_have_count(1)
    sid = page.locator("#messages").get_attribute("data-session-id")
    assert [m["role"] for m in messages(api, sid)] == ["user", "assistant"]
    expect(page.locator("#chat-title")).to_have_text("Say hello")
