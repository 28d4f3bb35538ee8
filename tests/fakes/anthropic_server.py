"""A fake Anthropic Messages API: POST /v1/messages (streamed or not) and GET /v1/models.

Scripted per test with `enqueue(Reply(...))`: thinking chunks (`thinking_delta`), text chunks, tool uses
whose input JSON arrives as several `input_json_delta`s, usage in message_start / message_delta, the stop
reason, an HTTP error with Anthropic's error body, an `error` event mid-stream, delays and a dropped connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.base import Disconnect, FakeServer, Handler, Recorded
from tests.fakes.openai_server import split


@dataclass
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]
    pieces: int = 3


@dataclass
class Reply:
    text: list[str] = field(default_factory=lambda: ["Hello", " from", " Claude."])
    thinking: list[str] = field(default_factory=list)
    tool_uses: list[ToolUse] = field(default_factory=list)
    usage: tuple[int, int] | None = (25, 9)  # (input, output); None: no usage in the stream
    cache_read: int = 0
    stop_reason: str | None = None  # default: tool_use if any, else end_turn
    status: int = 200
    error: dict[str, Any] | None = None  # {"type": "rate_limit_error", "message": ...}
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    header_delay: float = 0.0
    disconnect_after: int | None = None  # events sent before the connection drops
    error_after: int | None = None  # events sent before an `error` event


def error_reply(status: int, type_: str, message: str, **kwargs: Any) -> Reply:
    return Reply(status=status, error={"type": type_, "message": message}, **kwargs)


class FakeAnthropic(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.models = [("claude-fake-1", "Claude Fake 1"), ("claude-fake-2", "Claude Fake 2")]

    @property
    def base_url(self) -> str:
        return self.root

    def message_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.posts("/v1/messages")]

    def handle(self, handler: Handler, request: Recorded) -> None:
        path = request.path.split("?", 1)[0].rstrip("/")
        if request.method == "GET" and path.endswith("/v1/models"):
            data = [{"type": "model", "id": i, "display_name": n, "created_at": "2025-01-01T00:00:00Z"}
                    for i, n in self.models]
            handler.send_json(200, {"data": data, "has_more": False, "first_id": data[0]["id"],
                                    "last_id": data[-1]["id"]})
            return
        if request.method != "POST" or not path.endswith("/v1/messages"):
            handler.send_json(404, _error_body("not_found_error", f"no route {request.path}"))
            return
        reply: Reply = self.next_reply(Reply())
        self.pause(reply.header_delay)
        if reply.status >= 400:
            error = reply.error or {"type": "api_error", "message": "error"}
            handler.send_json(reply.status, _error_body(error["type"], error["message"]), reply.headers)
            return
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("stream"):
            self._stream(handler, reply, str(body.get("model")))
        else:
            handler.send_json(200, self._message(reply, str(body.get("model"))), reply.headers)

    def _events(self, reply: Reply, model: str) -> list[tuple[str, dict[str, Any]]]:
        input_tokens, output_tokens = reply.usage or (0, 0)
        usage = {"input_tokens": input_tokens, "output_tokens": 1, "cache_read_input_tokens": reply.cache_read,
                 "cache_creation_input_tokens": 0}
        start: dict[str, Any] = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                                 "content": [], "stop_reason": None, "stop_sequence": None}
        if reply.usage is not None:
            start["usage"] = usage
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
        index = 0

        def block(first: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
            nonlocal index
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": first}))
            events.extend(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
                          for d in deltas)
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
            index += 1

        if reply.thinking:
            block({"type": "thinking", "thinking": "", "signature": ""},
                  [{"type": "thinking_delta", "thinking": t} for t in reply.thinking]
                  + [{"type": "signature_delta", "signature": "c2lnbmF0dXJl"}])
        if reply.text:
            block({"type": "text", "text": ""}, [{"type": "text_delta", "text": t} for t in reply.text])
        for use in reply.tool_uses:
            block({"type": "tool_use", "id": use.id, "name": use.name, "input": {}},
                  [{"type": "input_json_delta", "partial_json": p} for p in split(json.dumps(use.input), use.pieces)])
        stop = reply.stop_reason or ("tool_use" if reply.tool_uses else "end_turn")
        delta: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
        if reply.usage is not None:
            delta["usage"] = {"output_tokens": output_tokens}
        events.append(("message_delta", delta))
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def _stream(self, handler: Handler, reply: Reply, model: str) -> None:
        handler.start_stream()
        for number, (name, data) in enumerate(self._events(reply, model)):
            if reply.disconnect_after is not None and number >= reply.disconnect_after:
                raise Disconnect
            if reply.error_after is not None and number >= reply.error_after:
                error = reply.error or {"type": "overloaded_error", "message": "Overloaded"}
                payload = json.dumps(_error_body(error["type"], error["message"]))
                handler.send_chunk(f"event: error\ndata: {payload}\n\n".encode())
                handler.end_stream()
                return
            self.pause(reply.delay)
            handler.send_chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.sent()
            if number == 0:
                handler.send_chunk(b"event: ping\ndata: {\"type\": \"ping\"}\n\n")
        handler.end_stream()

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": "".join(reply.text)})
        content += [{"type": "tool_use", "id": u.id, "name": u.name, "input": u.input} for u in reply.tool_uses]
        input_tokens, output_tokens = reply.usage or (0, 0)
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": reply.stop_reason or ("tool_use" if reply.tool_uses else "end_turn"),
                "stop_sequence": None, "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}


def _error_body(type_: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message}}
