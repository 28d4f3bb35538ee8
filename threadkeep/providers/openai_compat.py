"""An OpenAI-compatible chat provider on the official `openai` SDK (OpenAI, OpenRouter, Ollama, vLLM, ...).

Owns one `AsyncOpenAI` client per configured provider: streamed chat completions with usage requested in the
stream, tool-call deltas assembled into complete calls, reasoning deltas where the server sends them
(`reasoning_content` / `reasoning`), the model list (configured, else GET /models, cached), and SDK errors
mapped to `ProviderError` kinds. Retries with backoff and timeouts are the SDK's, set from settings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai

from ..chat.tokens import TokenCounter
from ..jsoncodec import loads_lenient
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

log = logging.getLogger("threadkeep.providers")

# Options passed to chat.completions.create as they are; others go nowhere (no surprises on the wire).
PASSTHROUGH_OPTIONS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
                       "reasoning_effort", "presence_penalty", "frequency_penalty", "parallel_tool_calls")
# On api.openai.com, GET /models lists audio, image and embedding models too: keep the chat ones.
_OPENAI_CHAT_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-")
_OPENAI_NON_CHAT = ("embedding", "tts", "whisper", "dall-e", "image", "audio", "realtime", "transcribe",
                    "moderation", "search", "instruct", "babbage", "davinci", "computer-use")
SUCCESS_TTL = 600.0
FAILURE_TTL = 30.0


@dataclass(slots=True)
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ModelCache:
    """A model list fetched from a server, kept for a while (a failure only briefly)."""

    def __init__(self) -> None:
        self.models: list[ModelInfo] | None = None
        self.expires = 0.0
        self.lock = asyncio.Lock()

    def fresh(self) -> bool:
        return self.models is not None and time.monotonic() < self.expires

    def put(self, models: list[ModelInfo] | None) -> None:
        self.models = models or []
        self.expires = time.monotonic() + (SUCCESS_TTL if models else FAILURE_TTL)


class OpenAICompatProvider:
    kind = "openai"

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
        # Local servers take any key; the SDK insists on one.
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url or None, max_retries=max_retries,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(id={self.id!r}, base_url={self.base_url!r})"

    @property
    def official(self) -> bool:
        return not self.base_url or "api.openai.com" in self.base_url

    def cached_models(self) -> list[ModelInfo]:
        """The model list as known now, without a network call."""
        if self._configured is not None:
            return self._configured
        return list(self._cache.models or [])

    async def models(self) -> list[ModelInfo]:
        if self._configured is not None:
            return self._configured
        async with self._cache.lock:
            if not self._cache.fresh():
                self._cache.put(await self._fetch_models())
        return list(self._cache.models or [])

    async def _fetch_models(self) -> list[ModelInfo] | None:
        try:
            page = await self._client.with_options(timeout=self._models_timeout, max_retries=0).models.list()
            ids = sorted(m.id for m in page.data)
        except (openai.OpenAIError, httpx2.HTTPError) as exc:
            log.warning("could not list the models of provider %s: %s", self.id, self._describe(exc))
            return None
        if self.official:
            ids = [i for i in ids
                   if i.startswith(_OPENAI_CHAT_PREFIXES) and not any(w in i for w in _OPENAI_NON_CHAT)]
        return [ModelInfo(i, i) for i in ids]

    def _describe(self, exc: BaseException) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", self._secrets)

    async def aclose(self) -> None:
        await self._client.close()

    # -- one streamed call --------------------------------------------------------------------------

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": request.model, "messages": [_clean(m) for m in request.messages],
                                  "stream": True, "stream_options": {"include_usage": True}}
        if request.tools:
            kwargs["tools"] = request.tools
        for key in PASSTHROUGH_OPTIONS:
            if request.options.get(key) is not None:
                kwargs[key] = request.options[key]
        if isinstance(request.options.get("extra_body"), dict):
            kwargs["extra_body"] = request.options["extra_body"]
        return kwargs

    async def stream(self, request: ChatRequest) -> AsyncIterator[ProviderEvent]:
        calls: dict[int, _PartialCall] = {}
        usage: Any = None
        finish = ""
        text: list[str] = []
        try:
            async for chunk in self._chunks(request):
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for choice in (chunk.get("choices") or [])[:1]:
                    finish = choice.get("finish_reason") or finish
                    for event in _deltas(choice.get("delta") or {}, calls):
                        if isinstance(event, TextDelta | ReasoningDelta):
                            text.append(event.text)
                        yield event
        except (openai.OpenAIError, httpx2.HTTPError) as exc:
            raise self._error(exc, request.model) from None
        for index in sorted(calls):
            call = calls[index]
            arguments = "".join(call.arguments) or "{}"
            text.append(call.name + arguments)
            yield ToolCallEvent(call.id or f"call_{index}", call.name, arguments)
        yield self._usage(usage, request, "".join(text))
        yield FinishEvent(finish or ("tool_calls" if calls else "stop"))

    async def _chunks(self, request: ChatRequest) -> AsyncIterator[dict[str, Any]]:
        """The stream's chunks as plain dicts.

        The SDK makes the request (auth, base URL, retries, timeouts, status errors); we read its raw event
        stream and decode each chunk with orjson (`loads_lenient`): building the SDK's typed chunk objects cost ~50 us a
        token, most of a turn's CPU time at local-model speeds.
        """
        create = self._client.chat.completions.with_streaming_response.create
        async with create(**self._arguments(request)) as response:
            async for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data.startswith("[DONE]"):
                    break
                chunk = loads_lenient(data)
                if not isinstance(chunk, dict):
                    continue
                if chunk.get("error"):
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else None
                    raise openai.APIError(message or "An error occurred during streaming",
                                          response.http_request, body=error)
                yield chunk

    def _usage(self, usage: Any, request: ChatRequest, output: str) -> UsageEvent:
        if isinstance(usage, dict) and (usage.get("prompt_tokens") or usage.get("completion_tokens")):
            return UsageEvent(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                              reported=True)
        return UsageEvent(self._counter.count_messages(request.messages, request.model, request.tools),
                          self._counter.count_text(output, request.model), reported=False)

    def _error(self, exc: BaseException, model: str) -> ProviderError:
        where = self.base_url or "api.openai.com"
        if isinstance(exc, openai.APIStatusError):
            message, code = error_message(exc.body, str(exc.message))
            kind = classify(exc.status_code, exc.code or code, message)
        elif isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
            kind, message = "no_response", f"No response from {self.label}: {type(exc).__name__}"
        elif isinstance(exc, openai.APIError):
            message, code = error_message(exc.body, str(exc.message))
            kind = classify(None, exc.code or code, message)
        else:
            kind, message = "error", f"{self.label}: {type(exc).__name__}: {exc}"
        log.warning("provider %s failed (%s): %s", self.id, kind, self._describe(exc))
        return ProviderError(kind, scrub(message, self._secrets),
                             default_hint(kind, self.label, model=model, where=where))


def _deltas(delta: dict[str, Any], calls: dict[int, _PartialCall]) -> list[ProviderEvent]:
    """Text and reasoning events of one delta; tool-call fragments are added to `calls`."""
    events: list[ProviderEvent] = []
    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        events.append(ReasoningDelta(reasoning))
    content = delta.get("content")
    if isinstance(content, str) and content:
        events.append(TextDelta(content))
    for fragment in delta.get("tool_calls") or []:
        index = fragment.get("index")
        call = calls.setdefault(index if isinstance(index, int) else len(calls), _PartialCall())
        if fragment.get("id"):
            call.id = fragment["id"]
        function = fragment.get("function") or {}
        if function.get("name") and not call.name:
            call.name = function["name"]
        if function.get("arguments"):
            call.arguments.append(function["arguments"])
    return events


def _clean(message: dict[str, Any]) -> dict[str, Any]:
    """A history message as OpenAI-compatible servers accept it (only the keys of the chat format)."""
    out = {k: v for k, v in message.items() if k in ("role", "content", "name", "tool_calls", "tool_call_id")}
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {"id": c.get("id"), "type": "function",
             "function": {"name": c.get("function", {}).get("name", ""),
                          "arguments": c.get("function", {}).get("arguments") or "{}"}}
            for c in out["tool_calls"] if isinstance(c, dict)
        ]
        if not out.get("content"):
            out["content"] = None
    elif out.get("content") is None:
        out["content"] = ""
    return out
