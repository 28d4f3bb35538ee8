"""The turn runner: one user message in, one streamed agent reply (with tool calls) out, all of it kept.

Owns a turn's life: the user message is committed before the provider is called; the reply is published as
stream events and checkpointed to the store at least every second (so a crash or a cancel keeps it, marked
`_partial`); tool calls run in the workspace, after approval where needed, for at most `max_tool_steps`;
usage and cost are stored per message and per session; an untitled session gets a title; queued messages
run next. The asyncio task driving a turn lives in the process that started it; its events go through the
stream registry, so any reader can follow them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..providers.base import (
    ChatRequest,
    FinishEvent,
    ProviderError,
    ReasoningDelta,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)
from ..sessions.messages import Message, content_text
from ..sessions.session import DEFAULT_TITLE
from ..sessions.store import SessionBusy, SessionNotFound, SessionStore, SessionStores
from .pricing import Pricing
from .turn_store import TurnStore

log = logging.getLogger("threadkeep.turns")

TITLE_LENGTH = 64


@dataclass(slots=True)
class Reply:
    """The assistant message as it streams in."""

    model: str
    text: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    usage_reported: bool = False
    seq: int | None = None
    saved_at: float = 0.0
    saved_len: int = -1

    def message(self, *, partial: bool) -> Message:
        meta: dict[str, Any] = {"_partial": True} if partial else {}
        return Message(
            role="assistant",
            content=self.text,
            tool_calls=self.tool_calls or None,
            reasoning=self.reasoning or None,
            model=self.model,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            meta=meta,
        )


class Turns:
    """Starts, runs, cancels and queues turns. One instance per app (on app.state.turns)."""

    def __init__(self, *, sessions: SessionStores, turn_store: TurnStore, streams: Any, providers: Any,
                 tools: Any, approvals: Any, pricing: Pricing, tokens: Any, max_tool_steps: int = 8,
                 checkpoint_seconds: float = 1.0) -> None:
        self.sessions = sessions
        self.ts = turn_store
        self.streams = streams
        self.providers = providers
        self.tools = tools
        self.approvals = approvals
        self.pricing = pricing
        self.tokens = tokens
        self.max_tool_steps = max_tool_steps
        self.checkpoint_seconds = checkpoint_seconds
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    # -- starting and stopping -----------------------------------------------------------------------

    async def start(self, store: SessionStore, session_id: str, content: Any, model: str | None = None,
                    attachments: list[Any] | None = None) -> str:
        """Commit the user message and start the turn, acting as `store`'s user; returns the stream id.
        SessionBusy if one runs."""
        stream_id = secrets.token_hex(8)
        model = model or (await store.get(session_id)).model or self.providers.default_model
        user = Message(role="user", content=content, meta={"attachments": attachments} if attachments else {})
        session, _seq = await store.claim_turn(session_id, stream_id, user, model)
        await self.streams.create(stream_id, session_id)
        task = asyncio.create_task(
            self._run(store, session_id, stream_id, session.model or model, session.workspace, session.allow_network))
        self._tasks[stream_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(stream_id, None))
        return stream_id

    async def cancel(self, stream_id: str) -> bool:
        """Stop the provider call; the partial reply is kept and the session is freed at once."""
        task = self._tasks.get(stream_id)
        if task is None or task.done():
            return False
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        return True

    def active_count(self) -> int:
        """How many turns this instance is running now."""
        return sum(1 for task in self._tasks.values() if not task.done())

    async def delete_session(self, store: SessionStore, session_id: str) -> bool:
        """Delete a session of `store`'s user for good: its running turn is cancelled first (its readers get
        `cancel`), its approvals and "allow for this chat" choices are forgotten. Idempotent, like the store's
        delete; another user's session is left alone. (A turn another instance runs stops at its next write.)"""
        try:
            session = await store.get(session_id)
        except SessionNotFound:
            return await store.delete(session_id)
        if session.active_stream_id is not None:
            await self.cancel(session.active_stream_id)
        await self.approvals.forget(session_id)
        return await store.delete(session_id)

    def running(self, stream_id: str) -> bool:
        task = self._tasks.get(stream_id)
        return task is not None and not task.done()

    async def shutdown(self) -> None:
        """Stop every running turn (their partial replies are kept) before the process exits."""
        self._closing = True
        for stream_id in list(self._tasks):
            await self.cancel(stream_id)

    async def resume_queues(self) -> None:
        """Messages queued before a restart run now (no turn can be running at start-up)."""
        waiting = await self.ts.sessions_with_queue()
        for session_id, owner in (await self.sessions.owners(waiting)).items():
            await self._start_queued(self.sessions.of(owner), session_id)

    # -- one turn ------------------------------------------------------------------------------------

    async def _run(self, store: SessionStore, session_id: str, stream_id: str, model: str, workspace: str,
                   allow_network: bool) -> None:
        publish = self._publisher(stream_id)
        reply: Reply | None = None
        turn_in = turn_out = 0
        turn_cost = 0.0
        outcome = "done"
        try:
            provider, model_id = self.providers.resolve(model)
            for step in range(self.max_tool_steps + 1):
                reply = Reply(model=model)
                history = await self._history(store, session_id)
                tools = self.tools.specs() if step < self.max_tool_steps else []
                await self._stream_reply(store, session_id, stream_id, provider, model_id, history, tools, reply,
                                         publish)
                cost = self.pricing.cost(model, reply.input_tokens, reply.output_tokens)
                turn_in += reply.input_tokens
                turn_out += reply.output_tokens
                turn_cost += cost
                await store.add_usage(session_id, reply.input_tokens, reply.output_tokens, cost)
                await publish("metering", {"input_tokens": turn_in, "output_tokens": turn_out,
                                           "estimated_cost": turn_cost})
                if not reply.tool_calls:
                    break
                await self._run_tools(store, session_id, stream_id, workspace, allow_network, reply.tool_calls, publish)
                reply = None
        except asyncio.CancelledError:
            outcome = "cancel"
            await self._save_partial(store, session_id, stream_id, reply)
            await self.approvals.cancel_session(session_id)
            await publish("cancel", {"session_id": session_id, "message": "Cancelled by user"})
        except SessionNotFound:  # the session was deleted under the turn (by another instance)
            outcome = "cancel"
            await self.approvals.cancel_session(session_id)
            await publish("cancel", {"session_id": session_id, "message": "The session was deleted"})
        except ProviderError as exc:
            outcome = "error"
            await self._save_partial(store, session_id, stream_id, reply)
            await self._fail(store, session_id, stream_id, exc.kind, exc.message, exc.hint, publish)
        except Exception:
            outcome = "error"
            log.exception("turn %s on session %s failed", stream_id, session_id)
            await self._save_partial(store, session_id, stream_id, reply)
            await self._fail(store, session_id, stream_id, "error", "The turn failed unexpectedly",
                             "See the server log for details.", publish)
        finally:
            await self._finish(store, session_id, stream_id, outcome, turn_in, turn_out, turn_cost, publish)

    def _publisher(self, stream_id: str) -> Any:
        async def publish(event: str, data: dict[str, Any]) -> None:
            await self.streams.publish(stream_id, event, data)

        return publish

    async def _history(self, store: SessionStore, session_id: str) -> list[dict[str, Any]]:
        page = await store.page_of_messages(session_id)
        out: list[dict[str, Any]] = []
        for m in page.messages:
            if m.meta.get("_error"):  # a stored error notice is for the reader, never for the model
                continue
            item: dict[str, Any] = {"role": m.role, "content": with_attachments(m.content, m.meta.get("attachments"))}
            if m.tool_calls:
                item["tool_calls"] = m.tool_calls
            if m.tool_call_id:
                item["tool_call_id"] = m.tool_call_id
            if m.name and m.role == "tool":
                item["name"] = m.name
            out.append(item)
        return out

    async def _stream_reply(self, store: SessionStore, session_id: str, stream_id: str, provider: Any, model_id: str,
                            history: list[dict[str, Any]], tools: list[dict[str, Any]], reply: Reply,
                            publish: Any) -> None:
        request = ChatRequest(model=model_id, messages=history, tools=tools, options={})
        # No placeholder row before the first delta: a provider that fails at once leaves no empty reply.
        async for event in provider.stream(request):
            if isinstance(event, TextDelta):
                reply.text += event.text
                await publish("token", {"text": event.text})
            elif isinstance(event, ReasoningDelta):
                reply.reasoning += event.text
                await publish("reasoning", {"text": event.text})
            elif isinstance(event, ToolCallEvent):
                call = {"id": event.id, "type": "function",
                        "function": {"name": event.name, "arguments": event.arguments_json}}
                reply.tool_calls.append(call)
                await publish("tool", {"id": event.id, "name": event.name, "args": _args(event.arguments_json)})
            elif isinstance(event, UsageEvent):
                reply.input_tokens, reply.output_tokens = event.input_tokens, event.output_tokens
                reply.usage_reported = event.reported
            elif isinstance(event, FinishEvent):
                break
            await self._checkpoint(store, session_id, stream_id, reply)
        if not reply.usage_reported and not reply.input_tokens:
            reply.input_tokens = self.tokens.count_messages(history, model_id)
            reply.output_tokens = self.tokens.count_text(reply.text + reply.reasoning, model_id)
        reply.seq = await store.put_reply(session_id, stream_id, reply.seq, reply.message(partial=False))

    async def _checkpoint(self, store: SessionStore, session_id: str, stream_id: str, reply: Reply) -> None:
        now = time.monotonic()
        size = len(reply.text) + len(reply.reasoning) + len(reply.tool_calls)
        if now - reply.saved_at < self.checkpoint_seconds or size == reply.saved_len:
            return
        reply.seq = await store.put_reply(session_id, stream_id, reply.seq, reply.message(partial=True))
        reply.saved_at, reply.saved_len = now, size

    async def _save_partial(self, store: SessionStore, session_id: str, stream_id: str,
                            reply: Reply | None) -> None:
        if reply is None or reply.seq is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.shield(store.put_reply(session_id, stream_id, reply.seq, reply.message(partial=True)))

    async def _fail(self, store: SessionStore, session_id: str, stream_id: str, kind: str, message: str,
                    hint: str, publish: Any) -> None:
        """Keep the error with the turn (so a reload still shows it), then tell the readers."""
        with contextlib.suppress(Exception):
            await asyncio.shield(store.put_reply(session_id, stream_id, None, error_message(kind, message, hint)))
        await publish("apperror", {"type": kind, "message": message, "hint": hint})

    async def _run_tools(self, store: SessionStore, session_id: str, stream_id: str, workspace: str,
                         allow_network: bool, calls: list[dict[str, Any]], publish: Any) -> None:
        for call in calls:
            name = call["function"]["name"]
            arguments = call["function"]["arguments"]
            if self.tools.needs_approval(name) and not self.approvals.allowed(session_id, name):
                approval_id, decision = self.approvals.request(session_id, {"id": call["id"], "name": name,
                                                                            "args": _args(arguments)})
                await publish("approval", {"approval_id": approval_id, "session_id": session_id,
                                           "tool": name, "args": _args(arguments), "tool_call_id": call["id"]})
                choice = await decision
                if choice == "deny":
                    result_text, ok, error, duration = "The user denied this tool call.", False, "denied", 0.0
                    await publish("tool_complete", {"id": call["id"], "name": name, "ok": False,
                                                    "error": error, "result": result_text, "duration_ms": 0})
                    await self._tool_message(store, session_id, stream_id, call, name, result_text)
                    continue
            result = await self.tools.run(name, workspace, arguments, allow_network=allow_network)
            result_text, ok, error, duration = result.output, result.ok, result.error, result.duration_ms
            await publish("tool_complete", {"id": call["id"], "name": name, "ok": ok, "error": error,
                                            "result": result_text, "duration_ms": duration,
                                            "sandboxed": result.sandboxed})
            stored = result_text if ok else "\n".join(p for p in (f"Error: {error}", result_text) if p)
            await self._tool_message(store, session_id, stream_id, call, name, stored, result.sandboxed)

    async def _tool_message(self, store: SessionStore, session_id: str, stream_id: str, call: dict[str, Any],
                            name: str, text: str, sandboxed: bool | None = None) -> None:
        # Beside the text, not in it: the page labels the card; the model never sees it.
        meta: dict[str, Any] = {"sandboxed": sandboxed} if sandboxed is not None else {}
        message = Message(role="tool", content=text, tool_call_id=call["id"], name=name, meta=meta)
        await store.put_reply(session_id, stream_id, None, message)

    async def _finish(self, store: SessionStore, session_id: str, stream_id: str, outcome: str, turn_in: int,
                      turn_out: int, turn_cost: float, publish: Any) -> None:
        try:
            session = await store.get(session_id)
            new_title = None
            if session.title == DEFAULT_TITLE:
                new_title = await self._first_user_title(store, session_id)
            await store.finish_turn(session_id, stream_id, title=new_title)
            usage = {"input_tokens": turn_in, "output_tokens": turn_out, "estimated_cost": turn_cost}
            if outcome == "done":
                page = await store.page_of_messages(session_id)
                await publish("done", {"session": page.session.full([m.to_dict() for m in page.messages]),
                                       "usage": usage})
            if new_title:
                await publish("title", {"session_id": session_id, "title": new_title})
            await publish("stream_end", {"session_id": session_id, "outcome": outcome})
        except SessionNotFound:  # deleted meanwhile: nothing to release
            await publish("stream_end", {"session_id": session_id, "outcome": outcome})
        except Exception:
            log.exception("finishing turn %s failed", stream_id)
            await store.release_turn(session_id, stream_id)
        finally:
            await self.streams.finish(stream_id)
        if outcome != "cancel" and not self._closing:
            await self._start_queued(store, session_id)

    async def _first_user_title(self, store: SessionStore, session_id: str) -> str | None:
        page = await store.page_of_messages(session_id, limit=50, before=50)
        for m in page.messages:
            if m.role == "user":
                text = " ".join(content_text(m.content).split())
                return text[:TITLE_LENGTH] or None
        return None

    async def _start_queued(self, store: SessionStore, session_id: str) -> None:
        queued = await self.ts.pop_queued(session_id)
        if queued is None:
            return
        try:
            await self.start(store, session_id, queued.content, queued.model, queued.attachments)
        except SessionBusy:
            await self.ts.enqueue(session_id, queued.content, queued.model, queued.attachments)


def with_attachments(content: Any, attachments: Any) -> Any:
    """What the model reads of a user message with files attached (uploaded into the workspace, where its tools
    reach them): the text plus a note naming them, as hermes' page adds it. The stored message keeps the two
    apart (content, `attachments`)."""
    names = [a for a in attachments if isinstance(a, str) and a] if isinstance(attachments, list) else []
    if not names:
        return content
    note = f"[Attached files, in the workspace: {', '.join(names)}]"
    if isinstance(content, list):
        return [*content, {"type": "text", "text": note}]
    return f"{content}\n\n{note}" if content else note


# hermes' labels: its page shows the stored notice as the reply's text.
_ERROR_LABELS = {"auth": "Authentication failed", "rate_limit": "Rate limit reached", "quota": "Out of credits",
                 "model_not_found": "Model not found", "no_response": "No response received", "error": "Error"}


def error_message(kind: str, message: str, hint: str) -> Message:
    """A failed turn's notice, kept as hermes keeps it: an assistant message marked `_error` (left out of what
    the model sees next), with the error's parts under `error` for pages that draw it themselves."""
    label = _ERROR_LABELS.get(kind, "Error")
    text = f"**{label}:** {message}" + (f"\n\n*{hint}*" if hint else "")
    return Message(role="assistant", content=text,
                   meta={"_error": True, "error": {"type": kind, "message": message, "hint": hint}})


def _args(arguments_json: str) -> Any:
    try:
        return orjson.loads(arguments_json or "{}")
    except orjson.JSONDecodeError:
        return arguments_json
