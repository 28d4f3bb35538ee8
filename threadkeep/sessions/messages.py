"""The Message value type: one transcript entry, with its conversion to and from the hermes JSON shape.

Owns validation of incoming message dicts (and of the timestamps sessions and messages carry), the plain-text
view of content (string or list of parts) and the mapping between the JSON shape and the columns of the
`messages` table. It does not touch the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..jsoncodec import dumps

ROLES = frozenset({"user", "assistant", "system", "tool", "developer"})
# Keys that have columns of their own; every other key of a message round-trips through `meta`.
_COLUMN_KEYS = frozenset(
    {"role", "content", "tool_calls", "tool_call_id", "name", "reasoning", "timestamp", "usage", "model"}
)
_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})
# Times are seconds since 1970 (UTC), hermes' `time.time()`. No such time lies past year 9999, so a number
# above that is a time in milliseconds (JavaScript's `Date.now()`) and is read as one; a negative number, or
# one past year 9999 even in milliseconds, is refused: it is a client's bug, not a date worth keeping.
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z
_MAX_TIMESTAMP_MS = MAX_TIMESTAMP * 1000 + 999


class MessageError(ValueError):
    """An incoming message is not a valid message; the text says why."""


def content_text(content: Any) -> str:
    """Plain text of message content: the string itself, or the text parts of a list joined by one space."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") in _TEXT_PART_TYPES:
                value = part.get("text")
                if isinstance(value, str):
                    texts.append(value)
        return " ".join(texts)
    return str(content)


def preview(text: str, limit: int = 40) -> str:
    """The first `limit` characters of a text, with "..." when it was cut (hermes' undo preview)."""
    return text[:limit] + "..." if len(text) > limit else text


def timestamp(value: Any, where: str) -> float | None:
    """A time in seconds from a JSON number (milliseconds converted); None when the value is not a number.

    MessageError for a number outside 0 .. year 9999 (NaN and infinities included)."""
    if not _is_number(value):
        return None
    if not 0 <= value <= _MAX_TIMESTAMP_MS:
        raise MessageError(f"{where} must be a time in seconds (or milliseconds) since 1970, no later than year 9999")
    seconds = float(value)
    return seconds / 1000 if seconds > MAX_TIMESTAMP else seconds


def _dumps(value: Any) -> str:
    return dumps(value).decode()


def _loads(raw: str | None) -> Any:
    return None if raw is None else orjson.loads(raw)


@dataclass(slots=True)
class Message:
    role: str
    content: Any = ""
    tool_calls: list[Any] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    created_at: float = field(default_factory=time.time)
    meta: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None

    @property
    def text(self) -> str:
        return content_text(self.content)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "message") -> Message:
        """Validate one incoming message dict (API body, import file) and build the value."""
        if not isinstance(data, dict):
            raise MessageError(f"{where} must be an object")
        role = data.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise MessageError(f"{where}.role must be one of {', '.join(sorted(ROLES))}")
        content = data.get("content", "")
        if content is None:
            content = ""
        if not isinstance(content, str | list):
            raise MessageError(f"{where}.content must be a string or a list of parts")
        tool_calls = data.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise MessageError(f"{where}.tool_calls must be a list")
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        created_at = timestamp(data.get("timestamp"), f"{where}.timestamp")
        return cls(
            role=role,
            content=content,
            tool_calls=tool_calls or None,
            tool_call_id=_opt_str(data.get("tool_call_id")),
            name=_opt_str(data.get("name")),
            reasoning=_opt_str(data.get("reasoning")),
            model=_opt_str(data.get("model")),
            input_tokens=_opt_int(usage.get("input_tokens")),
            output_tokens=_opt_int(usage.get("output_tokens")),
            created_at=time.time() if created_at is None else created_at,
            meta={k: v for k, v in data.items() if k not in _COLUMN_KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        """The hermes JSON shape: role and content first, then whatever else the message carries."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        if self.reasoning is not None:
            out["reasoning"] = self.reasoning
        if self.model is not None:
            out["model"] = self.model
        if self.input_tokens is not None or self.output_tokens is not None:
            out["usage"] = {"input_tokens": self.input_tokens or 0, "output_tokens": self.output_tokens or 0}
        out["timestamp"] = self.created_at
        if self.meta:
            for key, value in self.meta.items():
                out.setdefault(key, value)
        return out

    def to_row(self, session_id: str, seq: int) -> dict[str, Any]:
        return {
            "session_id": session_id,
            "seq": seq,
            "role": self.role,
            "content": _dumps(self.content),
            "text": self.text,
            "tool_calls": _dumps(self.tool_calls) if self.tool_calls else None,
            "tool_call_id": self.tool_call_id,
            "name": self.name,
            "reasoning": self.reasoning,
            "meta": _dumps(self.meta) if self.meta else None,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "created_at": self.created_at,
        }

    @classmethod
    def from_row(cls, row: Any) -> Message:
        """From a row of the store's message columns (seq, role, content, ... created_at), in that order."""
        seq, role, content, tool_calls, tool_call_id, name, reasoning, meta, model, itok, otok, created = row
        return cls(
            role,
            orjson.loads(content),
            orjson.loads(tool_calls) if tool_calls else None,
            tool_call_id,
            name,
            reasoning,
            model,
            itok,
            otok,
            created,
            orjson.loads(meta) if meta else {},
            seq,
        )


def parse_messages(items: Any, *, where: str = "messages") -> list[Message]:
    if not isinstance(items, list):
        raise MessageError(f"{where} must be a list")
    return [Message.from_dict(item, where=f"{where}[{i}]") for i, item in enumerate(items)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_MAX_TOKENS = 2**31 - 1  # an INTEGER column on both databases


def _opt_int(value: Any) -> int | None:
    return min(max(int(value), 0), _MAX_TOKENS) if _is_number(value) else None
