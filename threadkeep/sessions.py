"""The Session value type (a session's metadata, without its messages) and session ids.

Owns id generation and validation and the JSON shapes of a session (the compact list item and the full
object returned by `GET /api/session`). It does not touch the database; `store` builds these from rows.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import orjson

DEFAULT_TITLE = "Untitled"
# Ours are 12 lowercase hex characters; imported hermes sessions may carry other ids made of these characters.
# Anything else (slashes, dots, NUL, very long) is refused before it reaches the store.
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_session_id() -> str:
    return secrets.token_hex(6)


def valid_session_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


@dataclass(slots=True)
class Session:
    id: str
    title: str
    workspace: str
    model: str | None
    created_at: float
    updated_at: float
    profile: str | None = None
    project_id: str | None = None
    pinned: bool = False
    archived: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost: float = 0.0
    message_count: int = 0
    next_seq: int = 0
    last_message_at: float | None = None
    active_stream_id: str | None = None
    version: int = 1
    tool_calls_json: str = "[]"  # parsed only when the full session is asked for

    @classmethod
    def from_row(cls, row: Any) -> Session:
        return cls(
            id=row.id,
            title=row.title,
            workspace=row.workspace,
            model=row.model,
            created_at=row.created_at,
            updated_at=row.updated_at,
            profile=row.profile,
            project_id=row.project_id,
            pinned=bool(row.pinned),
            archived=bool(row.archived),
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            estimated_cost=row.estimated_cost,
            message_count=row.message_count,
            next_seq=row.next_seq,
            last_message_at=row.last_message_at,
            active_stream_id=row.active_stream_id,
            version=row.version,
            tool_calls_json=row.tool_calls or "[]",
        )

    @property
    def tool_calls(self) -> list[Any]:
        calls: list[Any] = orjson.loads(self.tool_calls_json)
        return calls

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def compact(self) -> dict[str, Any]:
        """The list item shape of `GET /api/sessions` (no messages)."""
        return {
            "session_id": self.id,
            "title": self.title,
            "workspace": self.workspace,
            "model": self.model,
            "message_count": self.message_count,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_message_at": self.last_message_at,
            "pinned": self.pinned,
            "archived": self.archived,
            "project_id": self.project_id,
            "profile": self.profile,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "estimated_cost": self.estimated_cost,
            "active_stream_id": self.active_stream_id,
            "is_streaming": self.active_stream_id is not None,
        }

    def full(self, messages: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The `session` object of `GET /api/session`; messages omitted when `messages` is None."""
        out = self.compact()
        out["tool_calls"] = self.tool_calls
        out["total_tokens"] = self.total_tokens
        if messages is not None:
            out["messages"] = messages
        return out
