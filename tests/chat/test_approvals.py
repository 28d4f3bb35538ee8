"""Pending approvals per session: once, session (remembered per tool), deny, cancel, and bad answers."""

from __future__ import annotations

import asyncio

import pytest

from threadkeep.chat.approvals import ApprovalNotFound, MemoryApprovals, parse_choice
from threadkeep.errors import BadRequest


def call(name: str = "run_command", **args: object) -> dict[str, object]:
    return {"id": f"call_{name}", "name": name, "args": args or {"command": "ls"}}


async def test_request_is_pending_until_answered_once() -> None:
    approvals = MemoryApprovals()
    approval_id, decision = approvals.request("s1", call(command="make test"))
    [pending] = await approvals.pending("s1")
    assert pending["approval_id"] == approval_id
    assert pending["tool"] == "run_command"
    assert pending["command"] == "make test"
    assert pending["tool_call_id"] == "call_run_command"
    assert pending["description"] == "Run a command in the workspace: make test"
    assert await approvals.pending("other-session") == []
    answered = await approvals.respond("s1", approval_id, "once")
    assert answered.approval_id == approval_id
    assert await asyncio.wait_for(decision, 1) == "once"
    await asyncio.sleep(0)
    assert await approvals.pending("s1") == []
    assert not approvals.allowed("s1", "run_command")


async def test_session_choice_is_remembered_per_session_and_tool() -> None:
    approvals = MemoryApprovals()
    first_id, first = approvals.request("s1", call())
    _, second = approvals.request("s1", call())
    _, write = approvals.request("s1", call("write_file", path="a.txt", content="hi"))
    await approvals.respond("s1", first_id, "session")
    assert await first == "session"
    assert await asyncio.wait_for(second, 1) == "once"  # the same tool, waiting alongside: answered too
    assert not write.done()
    assert approvals.allowed("s1", "run_command")
    assert not approvals.allowed("s1", "write_file")
    assert not approvals.allowed("s2", "run_command")
    await asyncio.sleep(0)
    [left] = await approvals.pending("s1")
    assert left["description"] == "Write 2 characters to a.txt"


async def test_deny_and_the_always_alias() -> None:
    approvals = MemoryApprovals()
    denied_id, denied = approvals.request("s1", call())
    await approvals.respond("s1", denied_id, "deny")
    assert await denied == "deny"
    assert not approvals.allowed("s1", "run_command")
    always_id, always = approvals.request("s1", call())
    await approvals.respond("s1", always_id, "always")
    assert await always == "session"
    assert approvals.allowed("s1", "run_command")


async def test_answer_without_an_id_goes_to_the_oldest() -> None:
    approvals = MemoryApprovals()
    first_id, first = approvals.request("s1", call())
    _, second = approvals.request("s1", call("write_file", path="x", content=""))
    assert (await approvals.respond("s1", None, "deny")).approval_id == first_id
    assert await first == "deny" and not second.done()


async def test_bad_answers_are_refused() -> None:
    approvals = MemoryApprovals()
    approval_id, decision = approvals.request("s1", call())
    with pytest.raises(BadRequest, match="Invalid choice"):
        await approvals.respond("s1", approval_id, "maybe")
    with pytest.raises(ApprovalNotFound):
        await approvals.respond("s1", "no-such-id", "once")
    with pytest.raises(ApprovalNotFound):
        await approvals.respond("s2", approval_id, "once")  # another session's approval
    await approvals.respond("s1", approval_id, "once")
    with pytest.raises(ApprovalNotFound):
        await approvals.respond("s1", approval_id, "deny")  # already answered
    with pytest.raises(ApprovalNotFound):
        await approvals.respond("s1", None, "once")
    assert await decision == "once"


async def test_cancelling_a_turn_denies_its_pending_approvals() -> None:
    approvals = MemoryApprovals()
    decisions = [approvals.request("s1", call())[1] for _ in range(3)]
    _, elsewhere = approvals.request("s2", call())
    assert await approvals.cancel_session("s1") == 3
    assert [await d for d in decisions] == ["deny"] * 3
    assert not elsewhere.done()
    await asyncio.sleep(0)
    assert await approvals.pending("s1") == []


async def test_a_waiting_turn_that_is_cancelled_leaves_nothing_pending() -> None:
    approvals = MemoryApprovals()
    _, decision = approvals.request("s1", call())

    async def turn() -> str:
        return await decision

    task = asyncio.create_task(turn())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert await approvals.pending("s1") == []


async def test_forget_drops_a_deleted_sessions_memory() -> None:
    approvals = MemoryApprovals()
    approval_id, _ = approvals.request("s1", call())
    await approvals.respond("s1", approval_id, "session")
    _, waiting = approvals.request("s1", call("write_file", path="a", content=""))
    await approvals.forget("s1")
    assert await waiting == "deny"
    assert not approvals.allowed("s1", "run_command")


def test_parse_choice() -> None:
    assert [parse_choice(c) for c in ("once", "session", "deny", "always")] == ["once", "session", "deny", "session"]
    with pytest.raises(BadRequest):
        parse_choice("")
