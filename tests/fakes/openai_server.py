"""A fake OpenAI-compatible server: POST /v1/chat/completions (streamed or not) and GET /v1/models.

Scripted per test with `enqueue(Reply(...))`: text chunks, reasoning chunks (in `reasoning_content` or
`reasoning`, as vLLM/DeepSeek and OpenRouter send them), tool calls whose arguments are split over several
chunks, usage (sent when the client asks with stream_options.include_usage), an HTTP error with an
OpenAI-style body, a delay per chunk or before the headers, a connection dropped mid-stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.base import Disconnect, FakeServer, Handler, Recorded


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    pieces: int = 3  # the arguments arrive split over this many chunks


@dataclass
class Reply:
    text: list[str] = field(default_factory=lambda: ["Hello", " from", " the", " fake."])
    reasoning: list[str] = field(default_factory=list)
    reasoning_field: str = "reasoning_content"
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: tuple[int, int] | None = (12, 7)  # (prompt, completion); None: the server reports none
    finish_reason: str | None = None  # default: tool_calls if any, else stop
    status: int = 200
    error: dict[str, Any] | None = None  # {"message", "type", "code"} for an error status
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each chunk
    header_delay: float = 0.0  # seconds before the response starts
    disconnect_after: int | None = None  # drop the connection after this many chunks
    error_after: int | None = None  # send an in-stream {"error": ...} after this many chunks


def error_reply(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                **kwargs: Any) -> Reply:
    return Reply(status=status, error={"message": message, "type": type_, "param": None, "code": code}, **kwargs)


class FakeOpenAI(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.models = ["fake-model", "fake-model-large"]

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.posts("/chat/completions")]

    def handle(self, handler: Handler, request: Recorded) -> None:
        if request.method == "GET" and request.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in self.models]
            handler.send_json(200, {"object": "list", "data": data})
            return
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            handler.send_json(404, {"error": {"message": f"no route {request.path}", "type": "invalid_request_error",
                                              "code": None, "param": None}})
            return
        reply: Reply = self.next_reply(Reply())
        self.pause(reply.header_delay)
        if reply.status >= 400:
            handler.send_json(reply.status, {"error": reply.error or {"message": "error"}}, reply.headers)
            return
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(handler, reply, str(body.get("model")), include_usage)
        else:
            handler.send_json(200, self._completion(reply, str(body.get("model"))), reply.headers)

    # -- replies ------------------------------------------------------------------------------------

    def _chunks(self, reply: Reply, model: str, include_usage: bool) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({reply.reasoning_field: piece}) for piece in reply.reasoning]
        chunks += [chunk({"content": piece}) for piece in reply.text]
        for index, call in enumerate(reply.tool_calls):
            chunks.append(chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                                 "function": {"name": call.name, "arguments": ""}}]}))
            for piece in split(call.arguments, call.pieces):
                chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        chunks.append(chunk({}, finish))
        if include_usage and reply.usage is not None:
            prompt, completion = reply.usage
            chunks.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000,
                           "model": model, "choices": [],
                           "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                                     "total_tokens": prompt + completion}})
        return chunks

    def _stream(self, handler: Handler, reply: Reply, model: str, include_usage: bool) -> None:
        handler.start_stream()
        for number, data in enumerate(self._chunks(reply, model, include_usage)):
            if reply.disconnect_after is not None and number >= reply.disconnect_after:
                raise Disconnect
            if reply.error_after is not None and number >= reply.error_after:
                error = reply.error or {"message": "stream failed", "type": "server_error", "code": None}
                handler.send_chunk(f"data: {json.dumps({'error': error})}\n\n".encode())
                handler.end_stream()
                return
            self.pause(reply.delay)
            handler.send_chunk(f"data: {json.dumps(data)}\n\n".encode())
            self.sent()
        handler.send_chunk(b"data: [DONE]\n\n")
        handler.end_stream()

    def _completion(self, reply: Reply, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.text) or None}
        if reply.tool_calls:
            message["tool_calls"] = [{"id": c.id, "type": "function",
                                      "function": {"name": c.name, "arguments": c.arguments}}
                                     for c in reply.tool_calls]
        body: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")}],
        }
        if reply.usage is not None:
            body["usage"] = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                             "total_tokens": sum(reply.usage)}
        return body


def split(text: str, pieces: int) -> list[str]:
    """`text` in `pieces` consecutive parts (some may be empty for short texts)."""
    pieces = max(pieces, 1)
    size = -(-len(text) // pieces) if text else 0
    return [text[i * size:(i + 1) * size] for i in range(pieces)] if size else [text]
