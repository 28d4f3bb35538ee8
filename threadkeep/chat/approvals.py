"""Tool-call approvals: a turn asks before a write or a command runs, the user answers once|session|deny.

Owns the pending approvals of each session and the "allow for this session" memory, behind the small
`Approvals` contract (request, respond, pending, allowed, cancel_session, forget) so they can move to the
database or Redis later. `MemoryApprovals` keeps them in this process. Which tools need approval is
`tools`' rule; publishing the `approval` event and waiting is the turn runner's.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from ..errors import BadRequest, NotFound

Choice = Literal["once", "session", "deny"]
CHOICES: tuple[str, ...] = ("once", "session", "deny")
# hermes-webui also sends "always"; threadkeep has no permanent allow-list, so it means "session".
_ALIASES = {"always": "session"}


class ApprovalNotFound(NotFound):
    pass


def parse_choice(value: str) -> Choice:
    choice = _ALIASES.get(value, value)
    if choice not in CHOICES:
        raise BadRequest(f"Invalid choice: {value} (expected once, session or deny)")
    return cast(Choice, choice)


@dataclass(slots=True, eq=False)
class Approval:
    approval_id: str
    session_id: str
    tool: str
    args: Any
    tool_call_id: str | None
    created_at: float
    decision: asyncio.Future[Choice] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "approval_id": self.approval_id,
            "session_id": self.session_id,
            "tool": self.tool,
            "args": self.args,
            "tool_call_id": self.tool_call_id,
            "description": describe(self.tool, self.args),
            "command": self.args.get("command") if isinstance(self.args, dict) else None,
            "created_at": self.created_at,
        }


def describe(tool: str, args: Any) -> str:
    """One line a person can approve or deny."""
    if not isinstance(args, dict):
        return f"{tool}"
    if tool == "run_command":
        return f"Run a command in the workspace: {args.get('command', '')}"
    if tool == "write_file":
        size = len(args.get("content", "") or "")
        return f"Write {size} characters to {args.get('path', '?')}"
    return f"{tool} {args}"


class Approvals(Protocol):
    def request(self, session_id: str, tool_call: dict[str, Any]) -> tuple[str, Awaitable[Choice]]:
        """Record a pending approval for `tool_call` ({"id", "name", "args"}); returns its id and an
        awaitable that resolves to the user's choice."""
        ...

    def allowed(self, session_id: str, tool: str) -> bool:
        """True when the user chose "session" for this tool earlier in the session."""
        ...

    async def respond(self, session_id: str, approval_id: str | None, choice: str) -> Approval: ...

    async def pending(self, session_id: str) -> list[dict[str, Any]]: ...

    async def cancel_session(self, session_id: str) -> int: ...

    async def forget(self, session_id: str) -> None: ...


class MemoryApprovals:
    def __init__(self) -> None:
        self._pending: dict[str, dict[str, Approval]] = {}  # session -> approval id -> approval (in order)
        self._allowed: dict[str, set[str]] = {}  # session -> tools allowed for the session

    def request(self, session_id: str, tool_call: dict[str, Any]) -> tuple[str, asyncio.Future[Choice]]:
        approval_id = secrets.token_hex(8)
        future: asyncio.Future[Choice] = asyncio.get_running_loop().create_future()
        approval = Approval(approval_id, session_id, str(tool_call.get("name", "")), tool_call.get("args"),
                            tool_call.get("id"), time.time(), future)
        self._pending.setdefault(session_id, {})[approval_id] = approval
        # However it ends (answered, denied by a cancel, or the waiting turn cancelled), it is no
        # longer pending.
        future.add_done_callback(lambda _f: self._drop(session_id, approval_id))
        return approval_id, future

    def _drop(self, session_id: str, approval_id: str) -> None:
        waiting = self._pending.get(session_id)
        if waiting is not None:
            waiting.pop(approval_id, None)
            if not waiting:
                del self._pending[session_id]

    def allowed(self, session_id: str, tool: str) -> bool:
        return tool in self._allowed.get(session_id, ())

    async def respond(self, session_id: str, approval_id: str | None, choice: str) -> Approval:
        """Answer one pending approval (the oldest when `approval_id` is None). "session" also answers
        the session's other pending calls of the same tool and lets later ones run unasked."""
        decided = parse_choice(choice)
        waiting = self._pending.get(session_id, {})
        if approval_id is None:
            approval = next((a for a in waiting.values() if not a.decision.done()), None)
            if approval is None:
                raise ApprovalNotFound("No pending approval for this session")
        else:
            found = waiting.get(approval_id)
            if found is None or found.decision.done():
                raise ApprovalNotFound("No pending approval with this id in this session")
            approval = found
        approval.decision.set_result(decided)
        if decided == "session":
            self._allowed.setdefault(session_id, set()).add(approval.tool)
            for other in list(waiting.values()):
                if other.tool == approval.tool and not other.decision.done():
                    other.decision.set_result("once")
        return approval

    async def pending(self, session_id: str) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self._pending.get(session_id, {}).values() if not a.decision.done()]

    async def cancel_session(self, session_id: str) -> int:
        """Deny every pending approval of the session (its turn was cancelled); returns how many."""
        denied = 0
        for approval in list(self._pending.get(session_id, {}).values()):
            if not approval.decision.done():
                approval.decision.set_result("deny")
                denied += 1
        return denied

    async def forget(self, session_id: str) -> None:
        """Drop everything about a session (it was deleted): pending calls are denied."""
        await self.cancel_session(session_id)
        self._allowed.pop(session_id, None)
