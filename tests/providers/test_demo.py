"""The offline demo model: a labelled, deterministic reply, usage, and workspace tool calls on request."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from threadkeep.chat.tokens import TokenCounter
from threadkeep.providers.base import (
    ChatRequest,
    FinishEvent,
    ProviderEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)
from threadkeep.providers.demo import DemoProvider


def spec(name: str, *params: str) -> dict[str, Any]:
    properties = {p: {"type": "string"} for p in params}
    return {"type": "function", "function": {"name": name, "description": name,
                                             "parameters": {"type": "object", "properties": properties}}}


TOOLS = [spec("list_files", "path"), spec("read_file", "path"), spec("write_file", "path", "content"),
         spec("search_files", "query"), spec("run_command", "command")]


async def run(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> list[ProviderEvent]:
    demo = DemoProvider(token_delay=0)
    return [e async for e in demo.stream(ChatRequest("demo", messages, tools or []))]


def text(events: list[ProviderEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_reply_is_labelled_echoes_the_message_and_has_a_code_block() -> None:
    events = await run([{"role": "user", "content": "What can you do?"}])
    reply = text(events)
    assert "threadkeep demo model: no provider is configured; see README" in reply
    assert "> What can you do?" in reply
    assert "```python" in reply
    assert len([e for e in events if isinstance(e, TextDelta)]) > 20  # streamed piece by piece
    assert any(isinstance(e, ReasoningDelta) for e in events)
    assert events[-1] == FinishEvent("stop")


async def test_reply_is_deterministic_and_usage_is_counted_with_the_tokenizer() -> None:
    messages = [{"role": "user", "content": "hello"}]
    first, second = await run(messages), await run(messages)
    assert first == second
    usage = next(e for e in first if isinstance(e, UsageEvent))
    reasoning = "".join(e.text for e in first if isinstance(e, ReasoningDelta))
    counter = TokenCounter()
    assert usage.input_tokens == counter.count_messages(messages, "demo")
    assert usage.output_tokens == counter.count_text(reasoning + text(first), "demo")


@pytest.mark.parametrize(
    ("message", "name", "arguments"),
    [
        ("list files", "list_files", {"path": "."}),
        ("please list the files in src", "list_files", {"path": "src"}),
        ("List the files in my workspace", "list_files", {"path": "."}),
        ("read README.md.", "read_file", {"path": "README.md"}),
        ("write notes/todo.txt with buy milk", "write_file", {"path": "notes/todo.txt", "content": "buy milk\n"}),
        ("run ls -la", "run_command", {"command": "ls -la"}),
        ("search for TODO", "search_files", {"query": "TODO"}),
    ],
)
async def test_a_message_asking_for_a_tool_calls_it_with_json_arguments(
    message: str, name: str, arguments: dict[str, str]
) -> None:
    events = await run([{"role": "user", "content": message}], TOOLS)
    calls = [e for e in events if isinstance(e, ToolCallEvent)]
    assert len(calls) == 1
    assert (calls[0].name, json.loads(calls[0].arguments_json)) == (name, arguments)
    assert calls[0].id == "call_demo_1"
    assert events[-1] == FinishEvent("tool_calls")


async def test_no_tool_call_when_the_tool_is_not_offered() -> None:
    events = await run([{"role": "user", "content": "run ls"}], [spec("read_file", "path")])
    assert not any(isinstance(e, ToolCallEvent) for e in events)
    assert "threadkeep demo model" in text(events)


async def test_arguments_follow_the_parameter_names_of_the_tool_schema() -> None:
    events = await run([{"role": "user", "content": "read main.py"}], [spec("read_file", "file_path")])
    call = next(e for e in events if isinstance(e, ToolCallEvent))
    assert json.loads(call.arguments_json) == {"file_path": "main.py"}


async def test_after_a_tool_result_it_summarises_instead_of_calling_again() -> None:
    history = [
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_demo_1", "type": "function", "function": {"name": "list_files", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_demo_1", "content": "README.md\nsrc/\nsetup.py"},
    ]
    events = await run(history, TOOLS)
    assert not any(isinstance(e, ToolCallEvent) for e in events)
    summary = text(events)
    assert "`list_files` returned 3 lines" in summary and "setup.py" in summary
    assert events[-1] == FinishEvent("stop")


async def test_a_paced_reply_can_be_cancelled_between_tokens() -> None:
    demo = DemoProvider(token_delay=0.05)
    received: list[ProviderEvent] = []

    async def consume() -> None:
        async for event in demo.stream(ChatRequest("demo", [{"role": "user", "content": "hi"}])):
            received.append(event)

    task = asyncio.create_task(consume())
    while not received:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(isinstance(e, FinishEvent) for e in received)
