"""A live server streaming a reply: kill -9 mid-stream keeps the user message and the partial reply; a
client reading the stream over real HTTP can drop and resume with Last-Event-ID without losing an event."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.http_client import Client
from tests.live import LiveServer
from tests.sse_client import Event, parse


@pytest.fixture
def slow_server(tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[LiveServer]:
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "sk-live-test",
           "THREADKEEP_CHECKPOINT_SECONDS": "0.2", "THREADKEEP_PROVIDER_MAX_RETRIES": "0"}
    server = LiveServer(tmp_path / "data", env=env)
    server.start()
    yield server
    server.stop()


def read_events(
    base: str, stream_id: str, *, last_event_id: int | None = None, limit: int | None = None
) -> list[Event]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    conn.request("GET", f"/api/chat/stream?stream_id={stream_id}", headers=headers)
    reply = conn.getresponse()
    assert reply.status == 200
    buffer, got = "", []
    while True:
        line = reply.fp.readline().decode()
        if not line:
            break
        buffer += line
        if line == "\n":
            got += parse(buffer)
            buffer = ""
            if limit is not None and len(got) >= limit:
                conn.close()  # drop the connection mid-stream
                return got
            if got and got[-1][1] == "stream_end":
                break
    conn.close()
    return got


def test_resume_over_http_loses_and_duplicates_nothing(slow_server: LiveServer, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"w{i} " for i in range(60)], delay=0.02))
    client = Client(slow_server.base)
    sid = client.post("/api/session/new", {})[1]["session"]["session_id"]
    stream_id = client.post("/api/chat/start", {"session_id": sid, "message": "hi"})[1]["stream_id"]
    first = read_events(slow_server.base, stream_id, limit=10)
    rest = read_events(slow_server.base, stream_id, last_event_id=first[-1][0])
    ids = [i for i, _, _ in first + rest]
    assert ids == list(range(1, len(ids) + 1))
    text = "".join(d["text"] for _, e, d in first + rest if e == "token")
    assert text == "".join(f"w{i} " for i in range(60))


def test_kill_9_mid_stream_keeps_user_message_and_partial_reply(slow_server: LiveServer,
                                                                 fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=[f"p{i} " for i in range(200)], delay=0.02))
    client = Client(slow_server.base)
    sid = client.post("/api/session/new", {})[1]["session"]["session_id"]
    client.post("/api/chat/start", {"session_id": sid, "message": "tell me a long story"})
    time.sleep(1.5)
    slow_server.kill()
    slow_server.start()
    client = Client(slow_server.base)
    session = client.get(f"/api/session?session_id={sid}")[1]["session"]
    user, reply = session["messages"]
    assert user == {**user, "role": "user", "content": "tell me a long story"}
    assert reply["role"] == "assistant" and reply["_partial"] is True
    assert reply["content"].startswith("p0 p1 ") and len(reply["content"]) < len("".join(f"p{i} " for i in range(200)))
    assert session["active_stream_id"] is None
    fake_openai.enqueue(Reply(text=["after restart"]))
    status, body = client.post("/api/chat/start", {"session_id": sid, "message": "continue"})
    assert status == 200
    events = read_events(slow_server.base, body["stream_id"])
    assert any(e == "done" for _, e, _ in events)
    assert json.dumps(events).count("after restart") >= 1
