"""The OpenAI-compatible provider through the real `openai` SDK against a real local fake server."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest

from tests.fakes import FakeOpenAI
from tests.fakes.openai_server import Reply, ToolCall, error_reply
from threadkeep.chat.tokens import TokenCounter
from threadkeep.providers.base import (
    ChatRequest,
    FinishEvent,
    ProviderError,
    ProviderEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)
from threadkeep.providers.openai_compat import OpenAICompatProvider

KEY = "sk-test-0123456789abcdef"
USER = [{"role": "user", "content": "Say hello"}]


def make(fake: FakeOpenAI, **kwargs: Any) -> OpenAICompatProvider:
    options: dict[str, Any] = {"id": "local", "label": "Local server", "api_key": KEY, "base_url": fake.base_url,
                               "max_retries": 0, "timeout": 5.0}
    options.update(kwargs)
    return OpenAICompatProvider(**options)


async def collect(provider: OpenAICompatProvider, request: ChatRequest) -> list[ProviderEvent]:
    try:
        return [event async for event in provider.stream(request)]
    finally:
        await provider.aclose()


async def failure(provider: OpenAICompatProvider, request: ChatRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await collect(provider, request)
    return caught.value


def text_of(events: list[ProviderEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_text_streams_as_deltas_then_reported_usage_then_finish(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["Hel", "lo", " there"], usage=(31, 4)))
    events = await collect(make(fake_openai), ChatRequest("fake-model", USER))
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("Hel"), TextDelta("lo"), TextDelta(" there")]
    assert events[-2:] == [UsageEvent(31, 4, reported=True), FinishEvent("stop")]
    sent = fake_openai.chat_requests()[0]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["model"] == "fake-model" and sent["messages"] == USER
    assert "tools" not in sent
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_tool_call_arguments_split_over_chunks_become_two_complete_calls(fake_openai: FakeOpenAI) -> None:
    first = json.dumps({"path": "src/main.py"})
    second = json.dumps({"command": "ls -la", "timeout": 30})
    fake_openai.enqueue(Reply(text=[], tool_calls=[ToolCall("call_a", "read_file", first, pieces=5),
                                                    ToolCall("call_b", "run_command", second, pieces=4)]))
    events = await collect(make(fake_openai), ChatRequest("fake-model", USER))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert calls == [ToolCallEvent("call_a", "read_file", first), ToolCallEvent("call_b", "run_command", second)]
    assert json.loads(calls[1].arguments_json) == {"command": "ls -la", "timeout": 30}
    assert events[-1] == FinishEvent("tool_calls")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_deltas_become_reasoning_events(fake_openai: FakeOpenAI, field: str) -> None:
    fake_openai.enqueue(Reply(reasoning=["Let me", " think."], reasoning_field=field, text=["Done."]))
    events = await collect(make(fake_openai), ChatRequest("fake-model", USER))
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [ReasoningDelta("Let me"), ReasoningDelta(" think.")]
    assert text_of(events) == "Done."


async def test_missing_usage_is_counted_locally_and_marked_unreported(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["Counted ", "locally."], usage=None))
    events = await collect(make(fake_openai), ChatRequest("fake-model", USER))
    usage = next(e for e in events if isinstance(e, UsageEvent))
    counter = TokenCounter()
    assert usage == UsageEvent(counter.count_messages(USER, "fake-model"),
                               counter.count_text("Counted locally.", "fake-model"), reported=False)
    assert usage.input_tokens > 0 and usage.output_tokens > 0


async def test_history_tools_and_options_are_sent_in_openai_shape(fake_openai: FakeOpenAI) -> None:
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Read a.txt"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a.txt"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "read_file", "content": "hello"},
    ]
    parameters = {"type": "object", "properties": {"path": {"type": "string"}}}
    tools = [{"type": "function",
              "function": {"name": "read_file", "description": "Read a file", "parameters": parameters}}]
    request = ChatRequest("fake-model", history, tools, {"temperature": 0.2, "max_tokens": 50, "unknown": 1})
    await collect(make(fake_openai), request)
    sent = fake_openai.chat_requests()[0]
    assert sent["tools"] == tools
    assert sent["temperature"] == 0.2 and sent["max_tokens"] == 50 and "unknown" not in sent
    assert sent["messages"][2] == {"role": "assistant", "content": None, "tool_calls": history[2]["tool_calls"]}
    assert sent["messages"][3] == history[3]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (error_reply(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"), "auth"),
        (error_reply(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded"), "rate_limit"),
        (error_reply(429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota"), "quota"),
        (error_reply(404, "The model `nope` does not exist", "invalid_request_error", "model_not_found"),
         "model_not_found"),
        (error_reply(400, "Invalid value for 'messages'", "invalid_request_error"), "error"),
        (error_reply(500, "The server had an error", "server_error"), "error"),
    ],
)
async def test_http_errors_map_to_kinds_with_a_hint(fake_openai: FakeOpenAI, reply: Reply, kind: str) -> None:
    fake_openai.enqueue(reply)
    error = await failure(make(fake_openai), ChatRequest("nope", USER))
    assert error.kind == kind
    assert error.message == reply.error["message"]  # type: ignore[index]
    assert "Local server" in error.hint


async def test_a_key_echoed_by_the_server_is_in_no_error_and_no_log(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.enqueue(error_reply(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"))
    with caplog.at_level(logging.DEBUG):
        error = await failure(make(fake_openai), ChatRequest("fake-model", USER))
    assert error.kind == "auth"
    assert KEY not in error.message and KEY not in error.hint and KEY not in repr(error)
    assert KEY not in caplog.text


async def test_retries_on_5xx_and_429_with_backoff_then_succeeds(fake_openai: FakeOpenAI) -> None:
    fast = {"retry-after-ms": "10"}
    fake_openai.enqueue(error_reply(503, "overloaded", "server_error", headers=fast),
                        error_reply(429, "slow down", "requests", "rate_limit_exceeded", headers=fast),
                        Reply(text=["third time lucky"]))
    events = await collect(make(fake_openai, max_retries=2), ChatRequest("fake-model", USER))
    assert text_of(events) == "third time lucky"
    assert len(fake_openai.chat_requests()) == 3


async def test_gives_up_after_the_configured_retries(fake_openai: FakeOpenAI) -> None:
    fast = {"retry-after-ms": "10"}
    fake_openai.enqueue(*[error_reply(429, "slow down", "requests", "rate_limit_exceeded", headers=fast)] * 3)
    error = await failure(make(fake_openai, max_retries=1), ChatRequest("fake-model", USER))
    assert error.kind == "rate_limit"
    assert len(fake_openai.chat_requests()) == 2


async def test_no_reply_within_the_timeout_is_no_response(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(header_delay=2.0))
    error = await failure(make(fake_openai, timeout=0.3), ChatRequest("fake-model", USER))
    assert error.kind == "no_response"
    assert fake_openai.base_url in error.hint


async def test_a_stream_that_stalls_is_no_response(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(delay=2.0))
    error = await failure(make(fake_openai, timeout=0.3), ChatRequest("fake-model", USER))
    assert error.kind == "no_response"


async def test_a_refused_connection_is_no_response() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAICompatProvider(id="gone", label="Gone", api_key="", base_url=f"http://127.0.0.1:{port}/v1",
                                    max_retries=0, timeout=2.0)
    error = await failure(provider, ChatRequest("m", USER))
    assert error.kind == "no_response"


async def test_a_dropped_connection_mid_stream_keeps_the_partial_text_then_fails(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(text=["one", " two", " three", " four"], disconnect_after=3))
    provider = make(fake_openai)
    received: list[ProviderEvent] = []
    with pytest.raises(ProviderError) as caught:
        async for event in provider.stream(ChatRequest("fake-model", USER)):
            received.append(event)
    await provider.aclose()
    assert caught.value.kind == "no_response"
    assert text_of(received) == "one two"


async def test_an_error_sent_inside_the_stream_is_a_provider_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(Reply(error_after=2, error={"message": "upstream failed", "type": "server_error",
                                                    "code": None}))
    error = await failure(make(fake_openai), ChatRequest("fake-model", USER))
    assert (error.kind, error.message) == ("error", "upstream failed")


async def test_a_slow_stream_is_relayed_as_it_arrives(fake_openai: FakeOpenAI) -> None:
    reply = Reply(text=[f"w{i} " for i in range(8)], delay=0.05)
    fake_openai.enqueue(reply)
    provider = make(fake_openai)
    seen_at_first_text = None
    async for event in provider.stream(ChatRequest("fake-model", USER)):
        if isinstance(event, TextDelta) and seen_at_first_text is None:
            seen_at_first_text = fake_openai.events_sent
    await provider.aclose()
    total = fake_openai.events_sent
    assert seen_at_first_text is not None and seen_at_first_text < total - 4


async def test_models_come_from_the_server_once_then_from_the_cache(fake_openai: FakeOpenAI) -> None:
    provider = make(fake_openai)
    assert [m.id for m in await provider.models()] == ["fake-model", "fake-model-large"]
    assert [m.id for m in await provider.models()] == ["fake-model", "fake-model-large"]
    await provider.aclose()
    assert [r.path for r in fake_openai.requests if r.method == "GET"] == ["/v1/models"]


async def test_configured_models_are_used_without_asking_the_server(fake_openai: FakeOpenAI) -> None:
    from threadkeep.providers.base import ModelInfo

    provider = make(fake_openai, models=[ModelInfo("mine", "My model")])
    assert await provider.models() == [ModelInfo("mine", "My model")]
    await provider.aclose()
    assert fake_openai.requests == []


async def test_an_unreachable_model_list_is_empty_not_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAICompatProvider(id="gone", label="Gone", api_key="", base_url=f"http://127.0.0.1:{port}/v1",
                                    models_timeout=0.5)
    assert await provider.models() == []
    await provider.aclose()
