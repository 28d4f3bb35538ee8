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
    # Fields in the order of the `sessions` table's columns: a row unpacks straight into one.
    id: str
    title: str
    workspace: str
    model: str | None
    profile: str | None
    project_id: str | None
    pinned: bool
    archived: bool
    input_tokens: int
    output_tokens: int
    estimated_cost: float
    message_count: int
    next_seq: int
    tool_calls_json: str  # parsed only when the full session is asked for
    created_at: float
    updated_at: float
    last_message_at: float | None
    active_stream_id: str | None
    version: int
    owner_id: str
    allow_network: bool

    @classmethod
    def from_row(cls, row: Any) -> Session:
        """From a row of `select(sessions)` (all columns, in table order)."""
        return cls(*row)

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
            "personality": None,  # hermes' per-session personality: threadkeep has none
        }

    def full(self, messages: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The `session` object of `GET /api/session`; messages omitted when `messages` is None."""
        out = self.compact()
        out["tool_calls"] = self.tool_calls
        out["total_tokens"] = self.total_tokens
        out["allow_network"] = self.allow_network
        # hermes' page reads these; threadkeep queues server-side instead (GET /api/chat/queue).
        out["pending_user_message"] = None
        out["pending_attachments"] = []
        out["pending_started_at"] = None
        if messages is not None:
            out["messages"] = messages
        return out
