"""The Anthropic provider on the official `anthropic` SDK: streamed Messages calls with tools and thinking.

Owns the conversion of OpenAI-shape history (system messages, assistant `tool_calls`, `tool` results, image
parts) to Anthropic's (a `system` string, `tool_use` / `tool_result` blocks, alternating roles), reading the
raw stream (text, thinking -> reasoning, `input_json_delta` -> complete tool calls, usage), the model list,
and SDK errors (also `error` events mid-stream) mapped to `ProviderError` kinds.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
import orjson

from ..chat.tokens import TokenCounter
from .base import (
    ChatRequest,
    FinishEvent,
    ModelInfo,
    ProviderError,
    ProviderEvent,
    ReasoningDelta,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
    classify,
    default_hint,
    error_message,
    scrub,
)
from .openai_compat import ModelCache

log = logging.getLogger("threadkeep.providers")

DEFAULT_MAX_TOKENS = 8192
DEFAULT_THINKING_BUDGET = 4096
# Shown when the model list cannot be fetched (no network yet, a proxy without /v1/models).
FALLBACK_MODELS = [ModelInfo("claude-sonnet-4-5", "Claude Sonnet 4.5"),
                   ModelInfo("claude-opus-4-1", "Claude Opus 4.1"),
                   ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5")]
_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls",
                 "max_tokens": "length", "refusal": "content_filter"}


class AnthropicProvider:
    kind = "anthropic"

    def __init__(self, *, id: str, label: str, api_key: str, base_url: str | None,
                 models: list[ModelInfo] | None = None, timeout: float = 120.0, max_retries: int = 2,
                 models_timeout: float = 3.0, counter: TokenCounter | None = None) -> None:
        self.id = id
        self.label = label
        self.base_url = base_url
        self._configured = list(models) if models else None
        self._secrets = [api_key]
        self._counter = counter or TokenCounter()
        self._models_timeout = models_timeout
        self._cache = ModelCache()
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or "not-needed", base_url=base_url or "https://api.anthropic.com",
            max_retries=max_retries, timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    def __repr__(self) -> str:
        return f"AnthropicProvider(id={self.id!r}, base_url={self.base_url!r})"

    def cached_models(self) -> list[ModelInfo]:
        if self._configured is not None:
            return self._configured
        return list(self._cache.models or FALLBACK_MODELS)

    async def models(self) -> list[ModelInfo]:
        if self._configured is not None:
            return self._configured
        async with self._cache.lock:
            if not self._cache.fresh():
                self._cache.put(await self._fetch_models())
        return list(self._cache.models or FALLBACK_MODELS)

    async def _fetch_models(self) -> list[ModelInfo] | None:
        try:
            client = self._client.with_options(timeout=self._models_timeout, max_retries=0)
            page = await client.models.list(limit=100)
            return [ModelInfo(m.id, getattr(m, "display_name", None) or m.id) for m in page.data]
        except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
            log.warning("could not list the models of provider %s: %s", self.id,
                        scrub(f"{type(exc).__name__}: {exc}", self._secrets))
            return None

    async def aclose(self) -> None:
        await self._client.close()

    # -- one streamed call --------------------------------------------------------------------------

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        system, messages = to_anthropic(request.messages)
        options = request.options
        max_tokens = int(options.get("max_tokens") or options.get("max_completion_tokens")
                         or DEFAULT_MAX_TOKENS)
        kwargs: dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        if system:
            kwargs["system"] = system
        if request.tools:
            kwargs["tools"] = [to_anthropic_tool(t) for t in request.tools]
        budget = thinking_budget(options)
        if budget:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": budget}
            max_tokens = max(max_tokens, budget + 1024)
        else:
            # Sampling settings are not named parameters of every SDK release: sent as body fields.
            sampling = {k: options[k] for k in ("temperature", "top_p") if options.get(k) is not None}
            if sampling:
                kwargs["extra_body"] = sampling
        if options.get("stop"):
            stop = options["stop"]
            kwargs["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        kwargs["max_tokens"] = max_tokens
        return kwargs

    async def stream(self, request: ChatRequest) -> AsyncIterator[ProviderEvent]:
        tools: dict[int, dict[str, Any]] = {}
        input_tokens = output_tokens = 0
        reported = False
        finish = ""
        text: list[str] = []
        try:
            events = await self._client.messages.create(**self._arguments(request))
            async with events:
                async for event in events:
                    kind = getattr(event, "type", "")
                    if kind == "message_start":
                        usage = event.message.usage
                        if usage is not None:
                            reported = True
                            input_tokens = _input_total(usage)
                            output_tokens = int(usage.output_tokens or 0)
                    elif kind == "content_block_start":
                        block = event.content_block
                        if block.type == "tool_use":
                            tools[event.index] = {"id": block.id, "name": block.name, "json": []}
                        elif block.type == "text" and block.text:
                            text.append(block.text)
                            yield TextDelta(block.text)
                        elif block.type == "thinking" and block.thinking:
                            yield ReasoningDelta(block.thinking)
                    elif kind == "content_block_delta":
                        delta = event.delta
                        if delta.type == "text_delta" and delta.text:
                            text.append(delta.text)
                            yield TextDelta(delta.text)
                        elif delta.type == "thinking_delta" and delta.thinking:
                            text.append(delta.thinking)
                            yield ReasoningDelta(delta.thinking)
                        elif delta.type == "input_json_delta" and event.index in tools:
                            tools[event.index]["json"].append(delta.partial_json)
                    elif kind == "content_block_stop" and event.index in tools:
                        call = tools.pop(event.index)
                        arguments = "".join(call["json"]) or "{}"
                        text.append(call["name"] + arguments)
                        yield ToolCallEvent(call["id"], call["name"], arguments)
                    elif kind == "message_delta":
                        finish = event.delta.stop_reason or finish
                        if event.usage is not None:
                            reported = True
                            output_tokens = int(event.usage.output_tokens or output_tokens)
                            if event.usage.input_tokens:
                                input_tokens = _input_total(event.usage)
        except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
            raise self._error(exc, request.model) from None
        if not reported:
            input_tokens = self._counter.count_messages(request.messages, request.model, request.tools)
            output_tokens = self._counter.count_text("".join(text), request.model)
        yield UsageEvent(input_tokens, output_tokens, reported=reported)
        yield FinishEvent(_STOP_REASONS.get(finish, finish or "stop"))

    def _error(self, exc: BaseException, model: str) -> ProviderError:
        where = self.base_url or "api.anthropic.com"
        if isinstance(exc, anthropic.APIStatusError):
            message, code = error_message(exc.body, str(exc.message))
            # An `error` event mid-stream arrives with the stream's 200 status: its type says what happened.
            status = exc.status_code if exc.status_code >= 400 else None
            kind = classify(status, code, message)
            if code == "overloaded_error":
                kind = "rate_limit"
        elif isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
            kind, message = "no_response", f"No response from {self.label}: {type(exc).__name__}"
        elif isinstance(exc, anthropic.APIError):
            message, code = error_message(exc.body, str(exc.message))
            kind = classify(None, code, message)
        else:
            kind, message = "error", f"{self.label}: {type(exc).__name__}: {exc}"
        log.warning("provider %s failed (%s): %s", self.id, kind,
                    scrub(f"{type(exc).__name__}: {exc}", self._secrets))
        return ProviderError(kind, scrub(message, self._secrets),
                             default_hint(kind, self.label, model=model, where=where))


def _input_total(usage: Any) -> int:
    """Prompt tokens including the cached part (Anthropic reports cache reads and writes apart)."""
    return int((usage.input_tokens or 0) + (getattr(usage, "cache_creation_input_tokens", 0) or 0)
               + (getattr(usage, "cache_read_input_tokens", 0) or 0))


def thinking_budget(options: dict[str, Any]) -> int:
    """Thinking tokens asked for by `thinking_budget`, `reasoning` (true or {budget_tokens}) or effort."""
    if options.get("thinking_budget"):
        return max(1024, int(options["thinking_budget"]))
    reasoning = options.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("budget_tokens"):
        return max(1024, int(reasoning["budget_tokens"]))
    if reasoning is True:
        return DEFAULT_THINKING_BUDGET
    effort = options.get("reasoning_effort")
    budgets = {"low": 2048, "medium": DEFAULT_THINKING_BUDGET, "high": 16384}
    return budgets.get(str(effort), 0) if effort else 0


# -- history conversion --------------------------------------------------------------------------------


def to_anthropic_tool(spec: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool spec as an Anthropic tool."""
    function = spec.get("function", spec)
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    tool = {"name": function["name"], "input_schema": schema}
    if function.get("description"):
        tool["description"] = function["description"]
    return tool


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else str(content)


def _image(url: str) -> dict[str, Any] | None:
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    return None


def _blocks(content: Any) -> list[dict[str, Any]]:
    """Content (a string or OpenAI parts) as Anthropic blocks; empty text is dropped (the API refuses it)."""
    if not isinstance(content, list):
        text = _text_of(content)
        return [{"type": "text", "text": text}] if text.strip() else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") in ("text", "input_text") and str(part.get("text", "")).strip():
            blocks.append({"type": "text", "text": str(part["text"])})
        elif part.get("type") == "image_url":
            ref = part.get("image_url")
            url = ref.get("url", "") if isinstance(ref, dict) else str(ref or "")
            image = _image(url)
            if image:
                blocks.append(image)
    return blocks


def _arguments_of(call: dict[str, Any]) -> dict[str, Any]:
    raw = (call.get("function") or {}).get("arguments") or "{}"
    try:
        value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    except orjson.JSONDecodeError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def to_anthropic(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(system, messages) for the Messages API from an OpenAI-shape history."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            if _text_of(message.get("content")).strip():
                system.append(_text_of(message.get("content")))
            continue
        if role == "tool":
            block = {"type": "tool_result", "tool_use_id": str(message.get("tool_call_id") or ""),
                     "content": _text_of(message.get("content")) or "(no output)"}
            _append(out, "user", [block])
        elif role == "assistant":
            blocks = _blocks(message.get("content"))
            for call in message.get("tool_calls") or []:
                if isinstance(call, dict):
                    blocks.append({"type": "tool_use", "id": str(call.get("id") or ""),
                                   "name": str((call.get("function") or {}).get("name", "")),
                                   "input": _arguments_of(call)})
            _append(out, "assistant", blocks)
        elif role == "user":
            _append(out, "user", _blocks(message.get("content")))
    if out and out[0]["role"] != "user":
        opening = {"type": "text", "text": "(continuing the conversation)"}
        out.insert(0, {"role": "user", "content": [opening]})
    return "\n\n".join(system), out


def _append(out: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Add blocks as a turn of `role`, merged into a previous turn of the same role (roles alternate)."""
    if not blocks:
        return
    if out and out[-1]["role"] == role:
        previous = out[-1]["content"]
        # tool_result blocks must come first in a user turn.
        if role == "user" and blocks[0]["type"] == "tool_result":
            results = [b for b in previous if b["type"] == "tool_result"]
            others = [b for b in previous if b["type"] != "tool_result"]
            out[-1]["content"] = results + blocks + others
        else:
            previous.extend(blocks)
        return
    out.append({"role": role, "content": list(blocks)})
