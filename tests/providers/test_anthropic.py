"""The Anthropic provider through the real `anthropic` SDK against a real local fake Messages API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes import FakeAnthropic
from tests.fakes.anthropic_server import Reply, ToolUse, error_reply
from threadkeep.chat.tokens import TokenCounter
from threadkeep.providers.anthropic import AnthropicProvider, to_anthropic
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

KEY = "sk-ant-test-0123456789"
USER = [{"role": "user", "content": "Hello"}]


def make(fake: FakeAnthropic, **kwargs: Any) -> AnthropicProvider:
    options: dict[str, Any] = {"id": "anthropic", "label": "Anthropic", "api_key": KEY, "base_url": fake.base_url,
                               "max_retries": 0, "timeout": 5.0}
    options.update(kwargs)
    return AnthropicProvider(**options)


async def collect(provider: AnthropicProvider, request: ChatRequest) -> list[ProviderEvent]:
    try:
        return [event async for event in provider.stream(request)]
    finally:
        await provider.aclose()


async def failure(provider: AnthropicProvider, request: ChatRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await collect(provider, request)
    return caught.value


async def test_thinking_becomes_reasoning_and_text_streams_with_usage(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(thinking=["First, ", "consider."], text=["Hi", " there."], usage=(40, 12),
                                 cache_read=100))
    events = await collect(make(fake_anthropic), ChatRequest("claude-fake-1", USER))
    assert [e for e in events if isinstance(e, ReasoningDelta)] == [ReasoningDelta("First, "),
                                                                     ReasoningDelta("consider.")]
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("Hi"), TextDelta(" there.")]
    # Cached prompt tokens are prompt tokens too.
    assert events[-2:] == [UsageEvent(140, 12, reported=True), FinishEvent("stop")]
    headers = fake_anthropic.requests[0].headers
    assert KEY in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))


async def test_tool_use_input_json_deltas_become_complete_tool_calls(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(text=["Looking."], tool_uses=[
        ToolUse("toolu_1", "read_file", {"path": "notes/today.md"}, pieces=4),
        ToolUse("toolu_2", "search_files", {"query": "TODO", "limit": 5}, pieces=3),
    ]))
    events = await collect(make(fake_anthropic), ChatRequest("claude-fake-1", USER))
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert [(c.id, c.name, json.loads(c.arguments_json)) for c in calls] == [
        ("toolu_1", "read_file", {"path": "notes/today.md"}),
        ("toolu_2", "search_files", {"query": "TODO", "limit": 5}),
    ]
    assert events[-1] == FinishEvent("tool_calls")


async def test_openai_history_with_tool_calls_is_sent_in_anthropic_shape(fake_anthropic: FakeAnthropic) -> None:
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is in these files?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}}]},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.txt"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "b.txt"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "name": "read_file", "content": "alpha"},
        {"role": "tool", "tool_call_id": "call_2", "name": "read_file", "content": "beta"},
        {"role": "user", "content": "Thanks, summarise."},
    ]
    tools = [{"type": "function", "function": {"name": "read_file", "description": "Read a file",
                                               "parameters": {"type": "object",
                                                              "properties": {"path": {"type": "string"}}}}}]
    await collect(make(fake_anthropic), ChatRequest("claude-fake-1", history, tools, {"temperature": 0.5}))
    sent = fake_anthropic.message_requests()[0]
    assert sent["system"] == "Be brief."
    assert sent["temperature"] == 0.5 and sent["max_tokens"] > 0 and sent["stream"] is True
    assert sent["tools"] == [{"name": "read_file", "description": "Read a file",
                              "input_schema": tools[0]["function"]["parameters"]}]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][0]["content"][1] == {
        "type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
    assert sent["messages"][1]["content"] == [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "call_1", "name": "read_file", "input": {"path": "a.txt"}},
        {"type": "tool_use", "id": "call_2", "name": "read_file", "input": {"path": "b.txt"}},
    ]
    # Both results in one user turn, before the next user text.
    assert sent["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "alpha"},
        {"type": "tool_result", "tool_use_id": "call_2", "content": "beta"},
        {"type": "text", "text": "Thanks, summarise."},
    ]


def test_conversion_drops_empty_content_and_opens_with_a_user_turn() -> None:
    system, messages = to_anthropic([
        {"role": "assistant", "content": "Earlier reply"},
        {"role": "user", "content": "   "},
        {"role": "user", "content": "Next"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "list_files", "arguments": "not json"}}]},
    ])
    assert system == ""
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[3]["content"] == [{"type": "tool_use", "id": "c", "name": "list_files",
                                       "input": {"_raw": "not json"}}]


async def test_reasoning_option_turns_on_thinking_without_temperature(fake_anthropic: FakeAnthropic) -> None:
    request = ChatRequest("claude-fake-1", USER, options={"reasoning": True, "temperature": 0.3, "max_tokens": 100})
    await collect(make(fake_anthropic), request)
    sent = fake_anthropic.message_requests()[0]
    assert sent["thinking"]["type"] == "enabled"
    assert sent["max_tokens"] > sent["thinking"]["budget_tokens"]
    assert "temperature" not in sent


async def test_missing_usage_is_counted_locally(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(text=["No usage here."], usage=None))
    events = await collect(make(fake_anthropic), ChatRequest("claude-fake-1", USER))
    counter = TokenCounter()
    usage = next(e for e in events if isinstance(e, UsageEvent))
    assert usage == UsageEvent(counter.count_messages(USER, "claude-fake-1"),
                               counter.count_text("No usage here.", "claude-fake-1"), reported=False)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (error_reply(401, "authentication_error", "invalid x-api-key"), "auth"),
        (error_reply(403, "permission_error", "not allowed"), "auth"),
        (error_reply(429, "rate_limit_error", "Number of requests has exceeded your rate limit"), "rate_limit"),
        (error_reply(400, "invalid_request_error", "Your credit balance is too low to access the API"), "quota"),
        (error_reply(404, "not_found_error", "model: claude-nope"), "model_not_found"),
        (error_reply(529, "overloaded_error", "Overloaded"), "rate_limit"),
        (error_reply(400, "invalid_request_error", "messages: roles must alternate"), "error"),
    ],
)
async def test_http_errors_map_to_kinds_with_a_hint(fake_anthropic: FakeAnthropic, reply: Reply, kind: str) -> None:
    fake_anthropic.enqueue(reply)
    error = await failure(make(fake_anthropic), ChatRequest("claude-nope", USER))
    assert error.kind == kind
    assert error.message == reply.error["message"]  # type: ignore[index]
    assert "Anthropic" in error.hint and KEY not in error.message


@pytest.mark.parametrize(("type_", "kind"), [("overloaded_error", "rate_limit"), ("api_error", "error")])
async def test_an_error_event_mid_stream_is_a_provider_error(
    fake_anthropic: FakeAnthropic, type_: str, kind: str
) -> None:
    fake_anthropic.enqueue(Reply(error_after=3, error={"type": type_, "message": "stream broke"}))
    error = await failure(make(fake_anthropic), ChatRequest("claude-fake-1", USER))
    assert (error.kind, error.message) == (kind, "stream broke")


async def test_retries_a_529_then_succeeds(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(error_reply(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "10"}),
                           Reply(text=["ok"]))
    events = await collect(make(fake_anthropic, max_retries=2), ChatRequest("claude-fake-1", USER))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "ok"
    assert len(fake_anthropic.message_requests()) == 2


async def test_a_dropped_connection_and_a_timeout_are_no_response(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(Reply(disconnect_after=4))
    assert (await failure(make(fake_anthropic), ChatRequest("claude-fake-1", USER))).kind == "no_response"
    fake_anthropic.enqueue(Reply(header_delay=2.0))
    assert (await failure(make(fake_anthropic, timeout=0.3), ChatRequest("claude-fake-1", USER))).kind == "no_response"


async def test_models_come_from_the_server_with_display_names(fake_anthropic: FakeAnthropic) -> None:
    provider = make(fake_anthropic)
    models = await provider.models()
    await provider.aclose()
    assert [(m.id, m.label) for m in models] == [("claude-fake-1", "Claude Fake 1"), ("claude-fake-2", "Claude Fake 2")]


async def test_shipped_models_are_listed_when_the_server_cannot_be_asked() -> None:
    provider = AnthropicProvider(id="anthropic", label="Anthropic", api_key=KEY, base_url="http://127.0.0.1:9",
                                 models_timeout=0.5)
    models = await provider.models()
    await provider.aclose()
    assert models and all(m.id.startswith("claude-") for m in models)
