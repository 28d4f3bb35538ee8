"""The `demo` provider: an offline stand-in model, so `threadkeep serve` answers on a fresh machine, no key.

Owns a deterministic, clearly labelled reply streamed word by word at a realistic pace (reasoning, markdown,
a code block, an echo of the user's message), usage counted with `tokens.py`, and workspace tool calls when
the message asks for them ("list files", "read <file>", "write <file>", "run <cmd>", "search <text>"),
followed by a summary once the tool result comes back. It is never used when a real provider is asked for.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..chat.tokens import TokenCounter
from ..sessions.messages import content_text
from .base import (
    ChatRequest,
    FinishEvent,
    ModelInfo,
    ProviderEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)

DEMO_MODEL = "demo"
LABEL = "threadkeep demo model: no provider is configured; see README"
_WORDS = re.compile(r"\s*\S+|\s+")
_QUOTED = r"[`'\"]?([^\s`'\"]+)[`'\"]?"
# A file name: has a dot or a slash, so "write a poem" is not taken for a file.
_FILE = r"[`'\"]?([\w~-]*[./][\w./~-]*)[`'\"]?"
_START = r"^\s*(?:please\s+|can you\s+|could you\s+)?"
# (tool, pattern); the first tool whose pattern is found in the message (and that is offered) is called.
_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("list_files", re.compile(r"\blist(?: the)? files(?: in " + _QUOTED + ")?", re.I)),
    ("read_file", re.compile(r"\b(?:read|open|show)(?: the file)? " + _FILE, re.I)),
    ("write_file", re.compile(r"\b(?:write|create)(?: a| the)?(?: file)? " + _FILE
                              + r"(?:\s*(?:with|containing|:)\s*(.+))?", re.I | re.S)),
    ("run_command", re.compile(_START + r"run[:\s]+[`'\"]?(.+?)[`'\"]?\s*$", re.I | re.S)),
    ("search_files", re.compile(_START + r"search(?: files)?(?: for)? [`'\"]?(.+?)[`'\"]?\s*$", re.I | re.S)),
]
_NOT_A_FOLDER = {"my", "the", "this", "our", "your", "workspace", "here", "it"}
# Parameter names tried in a tool's JSON schema, so the demo fits the tool specs it is given.
_PARAM_NAMES = {"path": ("path", "file", "filename", "file_path"), "content": ("content", "text", "data"),
                "command": ("command", "cmd"), "query": ("query", "pattern", "text", "q")}


class DemoProvider:
    id = "demo"
    kind = "demo"
    label = "Demo (offline)"

    def __init__(self, *, token_delay: float = 0.03, counter: TokenCounter | None = None) -> None:
        self.token_delay = token_delay
        self._counter = counter or TokenCounter()

    def cached_models(self) -> list[ModelInfo]:
        return [ModelInfo(DEMO_MODEL, "Demo (offline, no key needed)")]

    async def models(self) -> list[ModelInfo]:
        return self.cached_models()

    async def aclose(self) -> None:
        return None

    async def stream(self, request: ChatRequest) -> AsyncIterator[ProviderEvent]:
        messages = request.messages
        last = messages[-1] if messages else {"role": "user", "content": ""}
        call = None if last.get("role") == "tool" else tool_call_for(last, request.tools, messages)
        if last.get("role") == "tool":
            reasoning, text = "A tool result came back; summarising it.", summarise(last, messages)
        elif call is not None:
            reasoning, text = f"The message asks for {call.name}; calling the tool.", ""
        else:
            reasoning, text = "No provider is configured, so the demo model answers.", reply_text(last)
        for piece in _WORDS.findall(reasoning):
            await self._pace()
            yield ReasoningDelta(piece)
        for piece in _WORDS.findall(text):
            await self._pace()
            yield TextDelta(piece)
        if call is not None:
            await self._pace()
            yield call
        output = reasoning + text + (call.name + call.arguments_json if call else "")
        yield UsageEvent(self._counter.count_messages(messages, DEMO_MODEL, request.tools),
                         self._counter.count_text(output, DEMO_MODEL), reported=True)
        yield FinishEvent("tool_calls" if call else "stop")

    async def _pace(self) -> None:
        # sleep(0) still yields to the loop, so a cancel lands between tokens even in tests.
        await asyncio.sleep(self.token_delay)


def reply_text(message: dict[str, Any]) -> str:
    said = content_text(message.get("content")).strip()
    echo = said if len(said) <= 200 else said[:200] + "..."
    quoted = "\n".join("> " + line for line in echo.splitlines()) or "> (an empty message)"
    return (
        f"**{LABEL}.**\n\n"
        f"You said:\n\n{quoted}\n\n"
        "This reply is streamed word by word so you can try the interface:\n\n"
        "- *markdown* renders, with **lists** and `inline code`\n"
        "- code blocks get highlighting:\n\n"
        "```python\n"
        "def greet(name: str) -> str:\n"
        '    return f"hello, {name}"\n'
        "```\n\n"
        "Ask me to `list files`, `read README.md`, `write notes.txt with hello` or `run ls` "
        "to try the workspace tools."
    )


def tool_call_for(message: dict[str, Any], tools: list[dict[str, Any]],
                  history: list[dict[str, Any]]) -> ToolCallEvent | None:
    """The tool call a user message asks for, if that tool is offered; else None."""
    if message.get("role") != "user":
        return None
    text = content_text(message.get("content")).strip()
    offered = {_tool_name(t): t for t in tools}
    for name, pattern in _INTENTS:
        match = pattern.search(text)
        if match is None or name not in offered:
            continue
        groups = list(match.groups())
        values: dict[str, str] = {}
        if name == "list_files":
            path = (groups[0] or ".").rstrip(",;:!?")
            # "list the files in my workspace": a pronoun or "workspace" is not a folder name.
            values["path"] = "." if path.lower() in _NOT_A_FOLDER else path or "."
        elif name == "read_file":
            values["path"] = groups[0].rstrip(".,;:!?")
        elif name == "write_file":
            values["path"] = groups[0].rstrip(".,;:!?")
            values["content"] = (groups[1] or "Hello from the threadkeep demo model.").strip() + "\n"
        elif name == "run_command":
            values["command"] = groups[0].strip()
        else:
            values["query"] = groups[0].strip()
        arguments = _fit(values, offered[name])
        number = 1 + sum(len(m.get("tool_calls") or []) for m in history if m.get("role") == "assistant")
        return ToolCallEvent(f"call_demo_{number}", name, orjson.dumps(arguments).decode())
    return None


def _tool_name(spec: dict[str, Any]) -> str:
    return str((spec.get("function") or spec).get("name", ""))


def _fit(values: dict[str, str], spec: dict[str, Any]) -> dict[str, str]:
    """Rename the demo's arguments to the parameter names the tool's schema uses."""
    properties = ((spec.get("function") or spec).get("parameters") or {}).get("properties") or {}
    out: dict[str, str] = {}
    for key, value in values.items():
        name = next((n for n in _PARAM_NAMES[key] if n in properties), key)
        out[name] = value
    return out


def summarise(result: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """A short summary of the last tool result."""
    call_id = result.get("tool_call_id")
    name = result.get("name") or next(
        (c.get("function", {}).get("name") for m in history for c in (m.get("tool_calls") or [])
         if isinstance(c, dict) and c.get("id") == call_id), None) or "the tool"
    output = content_text(result.get("content"))
    lines = output.splitlines()
    shown = "\n".join(lines[:20]) + ("\n..." if len(lines) > 20 else "")
    fence = "````" if "```" in shown else "```"
    return (f"**{LABEL}.**\n\n`{name}` returned {len(lines)} line{'s' if len(lines) != 1 else ''}"
            f" ({len(output)} characters):\n\n{fence}\n{shown}\n{fence}\n\n"
            "A real model would now reason about this result; the demo only shows it.")
