"""The chat panel in a real browser: send and watch a streamed reply, stop, retry, undo, edit, branch,
tool cards and approvals, errors, queue, reload mid-reply, hostile model output."""

from __future__ import annotations

from pathlib import Path
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


def assistant(page: Any) -> Any:
    return page.locator("article.msg-assistant").last


def wait_idle(page: Any) -> None:
    """The turn has ended and its stored messages are drawn (not merely "not started yet")."""
    expect(page.locator("article.msg-assistant").first).to_be_attached(timeout=15_000)
    expect(page.locator("article.msg[data-live='true']")).to_have_count(0, timeout=15_000)
    expect(page.locator("#messages")).to_have_attribute("data-running", "false", timeout=15_000)


def turns(page: Any, *exchanges: tuple[str, str]) -> None:
    """Send each message and wait until its reply is shown and the turn is over."""
    for message, reply in exchanges:
        send(page, message)
        expect(assistant(page)).to_contain_text(reply)
        wait_idle(page)


def open_session(page: Any, sid: str) -> None:
    page.evaluate("sid => { location.hash = '#/s/' + sid }", sid)
    expect(page.locator("#messages")).to_have_attribute("data-session-id", sid)
    expect(page.locator("#messages")).to_have_attribute("data-state", "loaded")


def test_stop_keeps_the_partial_reply(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=[f"word{i} " for i in range(200)], delay=0.05))
    send(page, "Talk for a while")
    expect(assistant(page)).to_contain_text("word5")
    page.get_by_role("button", name="Stop").click()
    wait_idle(page)
    sid = page.locator("#messages").get_attribute("data-session-id")
    stored = messages(api, sid)
    assert [m["role"] for m in stored] == ["user", "assistant"] and stored[1].get("_partial") is True
    expect(assistant(page)).to_contain_text("incomplete")
    assert "word199" not in assistant(page).inner_text()


def test_escape_stops_too(page: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"w{i} " for i in range(200)], delay=0.05))
    send(page, "Go on")
    expect(assistant(page)).to_contain_text("w3")
    page.keyboard.press("Escape")
    wait_idle(page)


def test_retry_regenerates_the_last_reply(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=["First answer"]), Reply(text=["Second answer"]))
    send(page, "Question")
    expect(assistant(page)).to_contain_text("First answer")
    wait_idle(page)
    assistant(page).hover()
    page.get_by_role("button", name="Regenerate reply").click()
    expect(assistant(page)).to_contain_text("Second answer")
    wait_idle(page)
    expect(page.locator("article.msg")).to_have_count(2)
    sid = page.locator("#messages").get_attribute("data-session-id")
    stored = [(m["role"], m["content"]) for m in messages(api, sid)]
    assert stored == [("user", "Question"), ("assistant", "Second answer")]


def test_undo_removes_the_last_turn_and_gives_the_text_back(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=["One"]), Reply(text=["Two"]))
    turns(page, ("first question", "One"), ("second question", "Two"))
    assistant(page).hover()
    page.get_by_role("button", name="Undo last turn").click()
    expect(page.locator("article.msg")).to_have_count(2)
    expect(page.get_by_label("Message", exact=True)).to_have_value("second question")
    sid = page.locator("#messages").get_attribute("data-session-id")
    assert [m["content"] for m in messages(api, sid)] == ["first question", "One"]


def test_edit_an_earlier_message_and_resend(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=["A1"]), Reply(text=["A2"]), Reply(text=["A1 again"]))
    turns(page, ("Q1", "A1"), ("Q2", "A2"))
    first = page.locator("article.msg-user").first
    first.hover()
    first.get_by_role("button", name="Edit and resend").click()
    editor = page.get_by_label("Edit message")
    expect(page.locator(".msg-edit-note")).to_contain_text("replaces the 3 messages")
    editor.fill("Q1 edited")
    editor.press("Enter")
    expect(assistant(page)).to_contain_text("A1 again")
    wait_idle(page)
    sid = page.locator("#messages").get_attribute("data-session-id")
    assert [m["content"] for m in messages(api, sid)] == ["Q1 edited", "A1 again"]


def test_branch_from_a_message_opens_the_copy(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=["A1"]), Reply(text=["A2"]))
    turns(page, ("Q1", "A1"), ("Q2", "A2"))
    original = page.locator("#messages").get_attribute("data-session-id")
    first_reply = page.locator("article.msg-assistant").first
    first_reply.hover()
    first_reply.get_by_role("button", name="Branch from here").click()
    expect(page.locator("#messages")).not_to_have_attribute("data-session-id", original)
    expect(page.locator("#messages")).to_have_attribute("data-state", "loaded")
    branch = page.locator("#messages").get_attribute("data-session-id")
    assert f"#/s/{branch}" in page.url
    expect(page.locator("article.msg")).to_have_count(2)
    assert [m["content"] for m in messages(api, branch)] == ["Q1", "A1"]
    assert len(messages(api, original)) == 4


def test_tool_call_with_approval_granted(page: Any, fake_openai: FakeOpenAI, ui_server: LiveServer) -> None:
    call = ToolCall(id="call_w1", name="write_file", arguments='{"path": "notes.txt", "content": "hi from the agent"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Wrote notes.txt."]))
    send(page, "Write a note")
    card = page.locator(".tool-card[data-tool-call-id='call_w1']")
    expect(card).to_have_attribute("data-state", "approval")
    expect(card.locator(".tool-name")).to_have_text("write_file")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_attribute("data-state", "ok")
    expect(assistant(page)).to_contain_text("Wrote notes.txt.")
    wait_idle(page)
    assert (ui_server.workspace / "notes.txt").read_text() == "hi from the agent"  # type: ignore[attr-defined]
    # After the turn the stored transcript draws the same card, with its result.
    expect(page.locator(".tool-card[data-tool-call-id='call_w1']")).to_have_attribute("data-state", "ok")


def test_tool_call_denied(page: Any, fake_openai: FakeOpenAI, ui_server: LiveServer) -> None:
    call = ToolCall(id="call_r1", name="run_command", arguments='{"command": "touch pwned"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Understood, I will not run it."]))
    send(page, "Run something")
    card = page.locator(".tool-card[data-tool-call-id='call_r1']")
    card.get_by_role("button", name="Deny").click()
    expect(card).to_have_attribute("data-state", "denied")
    expect(assistant(page)).to_contain_text("I will not run it")
    wait_idle(page)
    assert not (ui_server.workspace / "pwned").exists()  # type: ignore[attr-defined]


def test_provider_error_is_shown_inline_and_the_message_kept(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    from tests.fakes.openai_server import error_reply

    fake_openai.enqueue(error_reply(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
    send(page, "Hello?")
    error = page.locator(".msg-error")
    expect(error).to_contain_text("Authentication failed")
    expect(error).to_contain_text("Incorrect API key")
    wait_idle(page)
    expect(page.locator(".msg-error")).to_have_count(1)
    sid = page.locator("#messages").get_attribute("data-session-id")
    stored = messages(api, sid)
    assert [m["content"] for m in stored][:1] == ["Hello?"] and [m.get("_error") for m in stored] == [None, True]
    # The error is kept with the turn: a reload still shows it, once, after the message.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#messages")).to_have_attribute("data-state", "loaded")
    error = page.locator("article.msg-assistant .msg-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Authentication failed")
    expect(error).to_contain_text("Incorrect API key")
    expect(page.locator("article.msg-user")).to_contain_text("Hello?")
    # Retry from the notice sends the message again; the notice goes with the failed turn.
    fake_openai.enqueue(Reply(text=["Working now"]))
    page.locator("article.msg-assistant").last.hover()
    page.get_by_role("button", name="Retry", exact=True).click()
    expect(page.locator("article.msg-assistant").last).to_contain_text("Working now")
    wait_idle(page)
    expect(page.locator(".msg-error")).to_have_count(0)


def test_sending_while_busy_queues_and_runs_after(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=[f"a{i} " for i in range(30)], delay=0.05), Reply(text=["Queued answer"]))
    send(page, "first")
    expect(assistant(page)).to_contain_text("a2")
    send(page, "second, queued")
    expect(page.get_by_label("Queued messages")).to_contain_text("second, queued")
    expect(assistant(page)).to_contain_text("Queued answer", timeout=20_000)
    wait_idle(page)
    expect(page.get_by_label("Queued messages")).to_be_hidden()
    sid = page.locator("#messages").get_attribute("data-session-id")
    assert [m["content"] for m in messages(api, sid)][2:] == ["second, queued", "Queued answer"]


def test_a_queued_message_can_be_removed(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    fake_openai.enqueue(Reply(text=[f"a{i} " for i in range(40)], delay=0.05))
    send(page, "first")
    expect(assistant(page)).to_contain_text("a1")
    send(page, "never mind")
    queue = page.get_by_label("Queued messages")
    expect(queue).to_contain_text("never mind")
    queue.get_by_role("button", name="Remove queued message").click()
    expect(queue).to_be_hidden()
    wait_idle(page)
    sid = page.locator("#messages").get_attribute("data-session-id")
    assert len(messages(api, sid)) == 2


def test_reload_mid_reply_shows_the_whole_reply_once(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    words = [f"w{i} " for i in range(60)]
    fake_openai.enqueue(Reply(text=words, delay=0.05))
    send(page, "Stream please")
    expect(assistant(page)).to_contain_text("w5")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(assistant(page)).to_contain_text("w59", timeout=20_000)
    wait_idle(page)
    text = assistant(page).inner_text()
    assert text.count("w0 ") == 1 and text.count("w59") == 1, text
    expect(page.locator("article.msg-user")).to_have_count(1)
    expect(page.locator("article.msg-assistant")).to_have_count(1)


def test_switching_sessions_during_a_stream(page: Any, fake_openai: FakeOpenAI, api: Client) -> None:
    other = new_session(api)
    api.post("/api/session/append", {"session_id": other, "messages": [
        {"role": "user", "content": "old question"}, {"role": "assistant", "content": "old answer"}]})
    fake_openai.enqueue(Reply(text=[f"s{i} " for i in range(50)], delay=0.05))
    send(page, "Long one")
    expect(assistant(page)).to_contain_text("s3")
    first = page.locator("#messages").get_attribute("data-session-id")
    open_session(page, other)
    expect(assistant(page)).to_have_text("old answer")
    open_session(page, first)
    expect(assistant(page)).to_contain_text("s49", timeout=20_000)
    wait_idle(page)
    assert assistant(page).inner_text().count("s0 ") == 1


def test_hostile_model_output_cannot_run_script(page: Any, fake_openai: FakeOpenAI) -> None:
    payload = ('<img src=x onerror="window.__xss=1"> [click me](javascript:window.__xss=2) '
               '<script>window.__xss=3</script> <a href="javascript:window.__xss=4">x</a> '
               '<iframe src="javascript:window.__xss=5"></iframe> <svg onload="window.__xss=6"></svg> '
               '<div class="toast" style="position:fixed;inset:0">spoof</div>')
    fake_openai.enqueue(Reply(text=[payload]))
    send(page, "Be evil")
    expect(assistant(page)).to_contain_text("click me")
    wait_idle(page)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    body = assistant(page).locator(".markdown")
    assert body.locator("[onerror], [onload], script, iframe, svg, [style]").count() == 0
    assert body.locator(".toast").count() == 0
    for href in body.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert href is None or not href.lower().startswith("javascript"), href


def test_long_session_opens_at_the_newest_and_loads_earlier_on_scroll(page: Any, api: Client) -> None:
    sid = new_session(api)
    batch = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message number {i}"} for i in range(400)]
    for start in range(0, 400, 100):
        api.post("/api/session/append", {"session_id": sid, "messages": batch[start:start + 100]})
    open_session(page, sid)
    expect(page.locator("article.msg").last).to_contain_text("message number 399")
    expect(page.locator("article.msg").last).to_be_in_viewport()
    loaded = page.locator("article.msg").count()
    assert loaded < 400
    for _ in range(20):
        page.locator(".scroller").evaluate("el => { el.scrollTop = 0 }")
        page.wait_for_timeout(150)
        if page.locator("article.msg").count() == 400:
            break
    expect(page.locator("article.msg")).to_have_count(400)
    expect(page.locator("article.msg").first).to_contain_text("message number 0")


def test_model_picker_lists_the_configured_models_and_saves_the_choice(page: Any, api: Client) -> None:
    picker = page.get_by_label("Model")
    expect(picker.locator("option")).to_contain_text(["fake-model", "fake-model-large"], timeout=5000)
    sid = new_session(api)
    open_session(page, sid)
    picker.select_option("fake-model-large")
    page.wait_for_timeout(300)
    _, data = api.get(f"/api/session?session_id={sid}&messages=0")
    assert data["session"]["model"] == "fake-model-large"


def test_keyboard_new_chat_and_shift_enter(page: Any, fake_openai: FakeOpenAI) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill("line one")
    box.press("Shift+Enter")
    box.type("line two")
    expect(box).to_have_value("line one\nline two")
    box.press("Enter")
    expect(page.locator("article.msg-user .msg-text")).to_have_text("line one\nline two")
    expect(assistant(page)).to_contain_text("Hello from the fake.")
    wait_idle(page)
    first = page.locator("#messages").get_attribute("data-session-id")
    page.keyboard.press("Control+Shift+O")
    expect(page.locator("#messages")).not_to_have_attribute("data-session-id", first)
    expect(page.locator("article.msg")).to_have_count(0)


def test_demo_model_replies_with_its_hint(open_page: Any, demo_server: LiveServer) -> None:
    page = open_page(demo_server)
    expect(page.locator(".notice-demo")).to_contain_text("no provider is configured")
    send(page, "Hello demo")
    expect(assistant(page)).to_contain_text("threadkeep demo model", timeout=20_000)
    wait_idle(page)


def test_dark_mode_and_phone_layout(open_page: Any, ui_server: LiveServer, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["Here is a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconst x = 1;\n```"]))
    page = open_page(ui_server, viewport=(390, 844), color_scheme="dark", has_touch=True, is_mobile=True)
    assert page.evaluate("document.documentElement.dataset.scheme") == "dark"
    send(page, "Show me a table")
    expect(assistant(page).locator("table")).to_be_visible()
    wait_idle(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal overflow: {width}px"
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    page.get_by_role("button", name="Toggle sessions").click()
    expect(page.locator("#sidebar")).to_be_in_viewport()


PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")


def test_attachments_by_picker_drop_and_paste_go_with_the_message(page: Any, fake_openai: FakeOpenAI, api: Client,
                                                                    ui_server: LiveServer) -> None:
    fake_openai.enqueue(Reply(text=["Got them."]))
    page.locator(".composer input[type=file]").set_input_files(
        [{"name": "notes.md", "mimeType": "text/markdown", "buffer": b"# notes\n"}])
    dropped = page.evaluate_handle("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["a,b\\n1,2\\n"], "data.csv", { type: "text/csv" }));
        return dt; }""")
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#chat", kind, {"dataTransfer": dropped})
    page.get_by_label("Message", exact=True).evaluate("""(box, png) => {
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
        box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true })); }""",
        PNG_1PX)
    tray = page.get_by_role("list", name="Attached files")
    expect(tray.get_by_role("listitem")).to_have_count(3)
    expect(tray).to_contain_text("notes.md")
    expect(tray).to_contain_text("data.csv")
    expect(tray).to_contain_text("pasted-")
    send(page, "Please read these")
    expect(tray).to_be_hidden()
    wait_idle(page)
    sid = page.locator("#messages").get_attribute("data-session-id")
    user = messages(api, sid)[0]
    assert user["content"] == "Please read these"
    names = user["attachments"]
    assert names[:2] == ["notes.md", "data.csv"] and names[2].startswith("pasted-") and names[2].endswith(".png")
    workspace = Path(api.get(f"/api/session?session_id={sid}&messages=0")[1]["session"]["workspace"])
    assert (workspace / "notes.md").read_bytes() == b"# notes\n" and (workspace / "data.csv").exists()
    sent = fake_openai.chat_requests()[-1]["messages"][-1]["content"]
    assert sent.startswith("Please read these\n\n[Attached files, in the workspace: notes.md, data.csv, pasted-")
    # The message shows its files, and still does after a reload.
    for _ in range(2):
        bubble = page.locator("article.msg-user")
        expect(bubble.locator(".msg-file")).to_have_count(2)
        expect(bubble.locator("img.msg-file-image")).to_have_js_property("naturalWidth", 1)
        page.reload()
        page.wait_for_selector("html[data-ready='true']")


def test_an_attachment_can_be_removed_and_files_alone_can_be_sent(page: Any, fake_openai: FakeOpenAI,
                                                                  api: Client) -> None:
    fake_openai.enqueue(Reply(text=["Thanks."]))
    page.locator(".composer input[type=file]").set_input_files([
        {"name": "keep.txt", "mimeType": "text/plain", "buffer": b"keep"},
        {"name": "drop.txt", "mimeType": "text/plain", "buffer": b"drop"}])
    page.get_by_role("button", name="Remove drop.txt").click()
    tray = page.get_by_role("list", name="Attached files")
    expect(tray.get_by_role("listitem")).to_have_count(1)
    page.get_by_role("button", name="Send").click()
    wait_idle(page)
    sid = page.locator("#messages").get_attribute("data-session-id")
    user = messages(api, sid)[0]
    assert user["attachments"] == ["keep.txt"] and user["content"] == "I've uploaded 1 file(s): keep.txt"
