"""Chat turns end to end (in-process app, real `openai` SDK against the fake OpenAI-compatible server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.fakes.openai_server import FakeOpenAI, Reply, ToolCall, error_reply
from tests.sse_client import Event, named, parse
from threadkeep.settings import Settings
from threadkeep.web.app import create_app


@pytest.fixture
async def chat_app(tmp_path: Path, database_url: str, fake_openai: FakeOpenAI,
                   monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, workspace_roots=[tmp_path],
                        checkpoint_seconds=0.05, provider_max_retries=0, access_log=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def chat(chat_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=chat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787", timeout=30) as c:
        yield c


async def new_session(c: httpx.AsyncClient) -> str:
    return (await c.post("/api/session/new", json={})).json()["session"]["session_id"]  # type: ignore[no-any-return]


async def start(c: httpx.AsyncClient, sid: str, message: str = "Hello there", **extra: Any) -> str:
    r = await c.post("/api/chat/start", json={"session_id": sid, "message": message, **extra})
    assert r.status_code == 200, r.text
    return r.json()["stream_id"]  # type: ignore[no-any-return]


async def events(c: httpx.AsyncClient, stream_id: str, **headers: str) -> list[Event]:
    r = await c.get("/api/chat/stream", params={"stream_id": stream_id}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    return parse(r.text)


async def transcript(c: httpx.AsyncClient, sid: str) -> list[dict[str, Any]]:
    return (await c.get("/api/session", params={"session_id": sid})).json()["session"]["messages"]  # type: ignore[no-any-return]


async def wait_idle(c: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    for _ in range(200):
        status = (await c.get("/api/session/status", params={"session_id": sid})).json()
        if not status["agent_running"]:
            return status  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError("the turn never finished")


async def test_a_turn_streams_and_is_stored(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["Hi", " there", "!"], usage=(21, 3)))
    sid = await new_session(chat)
    got = await events(chat, await start(chat, sid))
    assert [i for i, _, _ in got] == list(range(1, len(got) + 1))  # every event has an id, in order
    assert "".join(d["text"] for d in named(got, "token")) == "Hi there!"
    (done,) = named(got, "done")
    assert done["usage"]["input_tokens"] == 21 and done["usage"]["output_tokens"] == 3
    assert named(got, "title") == [{"session_id": sid, "title": "Hello there"}]
    assert got[-1][1] == "stream_end"
    msgs = await transcript(chat, sid)
    assert [(m["role"], m["content"]) for m in msgs] == [("user", "Hello there"), ("assistant", "Hi there!")]
    assert msgs[1]["usage"] == {"input_tokens": 21, "output_tokens": 3} and "_partial" not in msgs[1]
    status = await wait_idle(chat, sid)
    assert (status["input_tokens"], status["output_tokens"], status["title"]) == (21, 3, "Hello there")
    sent = fake_openai.chat_requests()[0]
    assert sent["messages"][-1] == {"role": "user", "content": "Hello there"}
    assert sent["stream_options"] == {"include_usage": True}


async def test_provider_error_keeps_the_user_message(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(error_reply(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
    sid = await new_session(chat)
    got = await events(chat, await start(chat, sid, "keep me"))
    err = named(got, "apperror")[0]
    assert err["type"] == "auth" and err["hint"]
    assert "sk-test-secret" not in str(got)
    await wait_idle(chat, sid)
    # The user message stays, and the error is kept after it (as hermes keeps it) so a reload still shows it;
    # a provider that failed before its first delta leaves no empty reply behind.
    user, notice = await transcript(chat, sid)
    assert (user["role"], user["content"]) == ("user", "keep me")
    assert notice["role"] == "assistant" and notice["_error"] is True
    assert notice["error"] == {"type": "auth", "message": err["message"], "hint": err["hint"]}
    assert notice["content"].startswith("**Authentication failed:** ") and err["hint"] in notice["content"]
    fake_openai.enqueue(Reply(text=["fine now"]))
    assert named(await events(chat, await start(chat, sid, "again")), "done")
    # The model never sees the notice.
    sent = fake_openai.chat_requests()[-1]["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [("user", "keep me"), ("user", "again")]


async def test_a_retry_after_an_error_removes_the_notice(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(error_reply(404, "The model does not exist", "invalid_request_error", "model_not_found"))
    sid = await new_session(chat)
    await events(chat, await start(chat, sid, "try me"))
    await wait_idle(chat, sid)
    assert [m.get("_error", False) for m in await transcript(chat, sid)] == [False, True]
    r = await chat.post("/api/session/retry", json={"session_id": sid})
    assert r.json()["removed_count"] == 2 and r.json()["last_user_text"] == "try me"
    assert await transcript(chat, sid) == []


async def test_cancel_keeps_the_partial_reply_and_frees_the_session(chat: httpx.AsyncClient,
                                                                    fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"w{i} " for i in range(40)], delay=0.05))
    sid = await new_session(chat)
    stream_id = await start(chat, sid)
    await asyncio.sleep(0.6)
    r = await chat.get("/api/chat/cancel", params={"stream_id": stream_id})
    assert r.json()["ok"] is True and r.json()["cancelled"] is True
    assert (await chat.get("/api/session/status", params={"session_id": sid})).json()["agent_running"] is False
    got = await events(chat, stream_id)
    assert named(got, "cancel") and got[-1][1] == "stream_end"
    streamed = "".join(d["text"] for d in named(got, "token"))
    reply = (await transcript(chat, sid))[1]
    assert reply["_partial"] is True and reply["content"] == streamed and 0 < len(streamed) < 160
    fake_openai.enqueue(Reply(text=["next"]))
    assert named(await events(chat, await start(chat, sid, "go on")), "done")


async def test_busy_session_is_409_unless_queued(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["slow "] * 10, delay=0.05), Reply(text=["second answer"]))
    sid = await new_session(chat)
    first = await start(chat, sid, "first")
    r = await chat.post("/api/chat/start", json={"session_id": sid, "message": "second"})
    assert r.status_code == 409 and r.json()["active_stream_id"] == first
    r = await chat.post("/api/chat/start", json={"session_id": sid, "message": "second", "queue": True})
    assert r.json()["queued"] is True and r.json()["position"] == 1
    queue = (await chat.get("/api/chat/queue", params={"session_id": sid})).json()["queue"]
    assert [q["message"] for q in queue] == ["second"]
    await events(chat, first)
    for _ in range(100):
        msgs = await transcript(chat, sid)
        if len(msgs) == 4 and not msgs[-1].get("_partial"):
            break
        await asyncio.sleep(0.05)
    assert [m["content"] for m in msgs] == ["first", "slow " * 10, "second", "second answer"]
    assert (await chat.get("/api/chat/queue", params={"session_id": sid})).json()["queue"] == []


async def test_queue_can_be_cleared(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["slow "] * 10, delay=0.05))
    sid = await new_session(chat)
    first = await start(chat, sid, "first")
    await chat.post("/api/chat/start", json={"session_id": sid, "message": "later", "queue": True})
    assert (await chat.post("/api/chat/queue/clear", json={"session_id": sid})).json()["removed"] == 1
    await events(chat, first)
    await wait_idle(chat, sid)
    assert len(await transcript(chat, sid)) == 2


async def test_reconnect_after_an_event_id_gets_the_rest_exactly_once(chat: httpx.AsyncClient,
                                                                       fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"t{i} " for i in range(30)]))
    sid = await new_session(chat)
    stream_id = await start(chat, sid)
    everything = await events(chat, stream_id)
    for cut in (1, 7, len(everything) - 1):
        rest = await events(chat, stream_id, **{"Last-Event-ID": str(cut)})
        assert rest == everything[cut:]
        via_query = parse((await chat.get("/api/chat/stream", params={"stream_id": stream_id,
                                                                      "after": cut})).text)
        assert via_query == everything[cut:]


async def test_two_watchers_see_the_same_events(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"x{i} " for i in range(20)], delay=0.01))
    sid = await new_session(chat)
    stream_id = await start(chat, sid)
    a, b = await asyncio.gather(events(chat, stream_id), events(chat, stream_id))
    assert a == b and named(a, "done")


async def test_unknown_stream_and_bad_requests(chat: httpx.AsyncClient) -> None:
    assert (await chat.get("/api/chat/stream", params={"stream_id": "nope"})).status_code == 404
    assert (await chat.get("/api/chat/stream", params={"stream_id": "../x"})).status_code == 400
    sid = await new_session(chat)
    for body in ({"session_id": sid, "message": "  "}, {"session_id": sid}, {"message": "hi"},
                 {"session_id": sid, "message": 5}):
        r = await chat.post("/api/chat/start", json=body)
        assert r.status_code == 400 and "error" in r.json(), body
    r = await chat.post("/api/chat/start", json={"session_id": "abcdef123456", "message": "hi"})
    assert r.status_code == 404
    assert await transcript(chat, sid) == []


async def approve_next(chat: httpx.AsyncClient, sid: str, choice: str) -> dict[str, Any]:
    for _ in range(200):
        pending = (await chat.get("/api/approval/pending", params={"session_id": sid})).json()
        items = pending["approvals"]
        if items:
            r = await chat.post("/api/approval/respond", json={"session_id": sid,
                                                               "approval_id": items[0]["approval_id"],
                                                               "choice": choice})
            assert r.status_code == 200, r.text
            return items[0]  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)
    raise AssertionError("no approval was requested")


@pytest.mark.parametrize("choice", ["once", "deny"])
async def test_tool_call_waits_for_approval(chat: httpx.AsyncClient, fake_openai: FakeOpenAI, tmp_path: Path,
                                            choice: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    call = ToolCall("call_1", "write_file", '{"path": "notes/a.txt", "content": "written by the agent"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Done."]))
    sid = (await chat.post("/api/session/new", json={"workspace": str(ws)})).json()["session"]["session_id"]
    stream_id = await start(chat, sid, "write a note")
    approval = await approve_next(chat, sid, choice)
    assert approval["tool"] == "write_file"
    got = await events(chat, stream_id)
    assert named(got, "approval")[0]["tool"] == "write_file"
    complete = named(got, "tool_complete")[0]
    msgs = await transcript(chat, sid)
    assert [m["role"] for m in msgs] == ["user", "assistant", "tool", "assistant"]
    assert msgs[1]["tool_calls"][0]["function"]["name"] == "write_file" and msgs[2]["tool_call_id"] == "call_1"
    if choice == "once":
        assert complete["ok"] is True and (ws / "notes" / "a.txt").read_text() == "written by the agent"
    else:
        assert complete["ok"] is False and not (ws / "notes").exists() and "denied" in msgs[2]["content"]
    second_call = fake_openai.chat_requests()[1]["messages"]
    assert second_call[-1]["role"] == "tool" and second_call[-1]["tool_call_id"] == "call_1"


async def test_tool_paths_cannot_escape_the_workspace(chat: httpx.AsyncClient, fake_openai: FakeOpenAI,
                                                      tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret")
    ws = tmp_path / "ws"
    ws.mkdir()
    call = ToolCall("c1", "read_file", '{"path": "../secret.txt"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["ok"]))
    sid = (await chat.post("/api/session/new", json={"workspace": str(ws)})).json()["session"]["session_id"]
    got = await events(chat, await start(chat, sid, "read it"))
    complete = named(got, "tool_complete")[0]
    assert complete["ok"] is False and "top secret" not in str(got)


async def test_usage_and_cost_accumulate(chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.models = ["gpt-4o-mini"]
    fake_openai.enqueue(Reply(text=["a"], usage=(1000, 100)), Reply(text=["b"], usage=(2000, 200)))
    sid = await new_session(chat)
    await events(chat, await start(chat, sid, "one", model="gpt-4o-mini"))
    await events(chat, await start(chat, sid, "two", model="gpt-4o-mini"))
    usage = (await chat.get("/api/session/usage", params={"session_id": sid})).json()
    assert (usage["input_tokens"], usage["output_tokens"]) == (3000, 300)
    assert usage["estimated_cost"] > 0
    (row,) = usage["by_model"]
    assert (row["model"], row["input_tokens"], row["output_tokens"], row["messages"]) == ("gpt-4o-mini", 3000, 300, 2)
    assert row["estimated_cost"] == pytest.approx(usage["estimated_cost"])


async def test_deleting_a_session_cancels_its_running_turn(chat: httpx.AsyncClient, chat_app: FastAPI,
                                                          fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"w{i} " for i in range(200)], delay=0.05))
    sid = await new_session(chat)
    stream_id = await start(chat, sid)
    await chat.post("/api/chat/start", json={"session_id": sid, "message": "queued", "queue": True})
    reader = asyncio.create_task(events(chat, stream_id))  # a page following the turn
    await asyncio.sleep(0.3)
    assert (await chat.post("/api/session/delete", json={"session_id": sid})).json() == {"ok": True}
    assert not chat_app.state.turns.running(stream_id)  # stopped before the delete answered
    got = await reader
    assert named(got, "cancel") and got[-1][1] == "stream_end" and not named(got, "apperror")
    assert (await chat.get("/api/session", params={"session_id": sid})).status_code == 404
    assert await chat_app.state.turns.ts.queued(sid) == []  # the queued message went with it
    await asyncio.sleep(0.2)
    assert len(fake_openai.chat_requests()) == 1  # and never ran


async def test_deleting_a_session_forgets_its_approvals(chat: httpx.AsyncClient, chat_app: FastAPI,
                                                        fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write = ToolCall("c1", "write_file", '{"path": "a.txt", "content": "x"}')
    command = ToolCall("c2", "run_command", '{"command": "echo hi"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[write]), Reply(text=["Done."]),
                        Reply(text=[], tool_calls=[command]), Reply(text=["never"]))
    sid = (await chat.post("/api/session/new", json={"workspace": str(ws)})).json()["session"]["session_id"]
    first = await start(chat, sid, "write")
    await approve_next(chat, sid, "session")  # write_file allowed for the rest of this chat
    await events(chat, first)
    await wait_idle(chat, sid)
    approvals = chat_app.state.approvals
    assert approvals.allowed(sid, "write_file")
    second = await start(chat, sid, "run")
    for _ in range(200):
        if await approvals.pending(sid):
            break
        await asyncio.sleep(0.02)
    assert [a["tool"] for a in await approvals.pending(sid)] == ["run_command"]
    reader = asyncio.create_task(events(chat, second))
    await asyncio.sleep(0.1)
    assert (await chat.post("/api/session/delete", json={"session_id": sid})).json() == {"ok": True}
    assert await approvals.pending(sid) == [] and not approvals.allowed(sid, "write_file")
    assert not chat_app.state.turns.running(second)
    assert named(await reader, "cancel")


async def test_a_turn_whose_session_is_deleted_elsewhere_ends_quietly(
        chat: httpx.AsyncClient, chat_app: FastAPI, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake_openai.enqueue(Reply(text=[f"w{i} " for i in range(200)], delay=0.02))
    sid = await new_session(chat)
    stream_id = await start(chat, sid)
    reader = asyncio.create_task(events(chat, stream_id))
    await asyncio.sleep(0.3)
    owner = (await chat_app.state.sessions.owners([sid]))[sid]
    assert await chat_app.state.sessions.of(owner).delete(sid)  # as another instance would: no cancel here
    got = await asyncio.wait_for(reader, 10)  # the turn stops at its next write
    assert named(got, "cancel") and got[-1][1] == "stream_end" and not named(got, "apperror")
    assert not chat_app.state.turns.running(stream_id)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_attachments_are_kept_apart_and_named_to_the_model(chat: httpx.AsyncClient,
                                                                 fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["Got them."]), Reply(text=["Still there."]))
    sid = await new_session(chat)
    await events(chat, await start(chat, sid, "Look at these", attachments=["notes.md", "chart.png"]))
    user = (await transcript(chat, sid))[0]
    assert user["content"] == "Look at these" and user["attachments"] == ["notes.md", "chart.png"]
    note = "Look at these\n\n[Attached files, in the workspace: notes.md, chart.png]"
    assert fake_openai.chat_requests()[0]["messages"][-1] == {"role": "user", "content": note}
    await wait_idle(chat, sid)
    await events(chat, await start(chat, sid, "And now?"))
    assert fake_openai.chat_requests()[1]["messages"][0]["content"] == note  # every later turn reads it too


async def test_an_emoji_a_provider_splits_into_two_escaped_halves_is_stored_whole(
        chat: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    """Some servers escape each chunk on its own: the halves of a surrogate pair arrive apart, each alone."""
    fake_openai.enqueue(Reply(text=["smile ", "\ud83d", "\ude00", " and a stray \udc00"]))
    sid = await new_session(chat)
    got = await events(chat, await start(chat, sid))
    assert named(got, "done")  # each half went out on its own as U+FFFD; the stored text has the emoji
    assert "".join(d["text"] for d in named(got, "token")) == "smile \ufffd\ufffd and a stray \ufffd"
    await wait_idle(chat, sid)
    assert (await transcript(chat, sid))[1]["content"] == "smile \U0001f600 and a stray \ufffd"
    assert (await chat.get("/api/sessions/search", params={"q": "stray"})).json()["count"] == 1
