"""The Message value type: validation of incoming messages, their timestamps, storage that cannot fail."""

from __future__ import annotations

import math
import time
from typing import Any

import orjson
import pytest

from threadkeep.sessions.messages import MAX_TIMESTAMP, Message, MessageError, timestamp


@pytest.mark.parametrize(("value", "seconds"), [
    (0, 0.0),
    (1700000000, 1700000000.0),
    (1700000000.5, 1700000000.5),
    (MAX_TIMESTAMP, float(MAX_TIMESTAMP)),
    (1700000000123, 1700000000.123),  # milliseconds (JavaScript's Date.now()) are read as such
    (MAX_TIMESTAMP * 1000, float(MAX_TIMESTAMP)),
])
def test_timestamps_in_range_are_seconds(value: float, seconds: float) -> None:
    assert timestamp(value, "t") == pytest.approx(seconds)


@pytest.mark.parametrize("value", [-1, -0.5, 1e308, MAX_TIMESTAMP * 1000 + 1000, 10**30, math.nan, math.inf,
                                   -math.inf])
def test_timestamps_out_of_range_are_refused(value: float) -> None:
    with pytest.raises(MessageError, match=r"^messages\[0\]\.timestamp must be a time in seconds"):
        timestamp(value, "messages[0].timestamp")


@pytest.mark.parametrize("value", [None, "2024-01-01", True, [1]])
def test_a_timestamp_that_is_not_a_number_counts_as_absent(value: Any) -> None:
    assert timestamp(value, "t") is None


def test_a_message_without_a_usable_timestamp_is_dated_now_and_one_out_of_range_is_refused() -> None:
    before = time.time()
    assert before <= Message.from_dict({"role": "user", "content": "x"}).created_at <= time.time()
    assert Message.from_dict({"role": "user", "timestamp": 1700000000000}).created_at == 1700000000.0
    with pytest.raises(MessageError, match=r"^message\.timestamp must be"):
        Message.from_dict({"role": "user", "content": "x", "timestamp": 1e308})


def test_a_message_row_never_fails_on_surrogates() -> None:
    """Text from a provider may hold halves of an emoji (split over two chunks) or a lone half."""
    message = Message(role="assistant", content=["\ud83d\ude00 ok \udc00"], meta={"k\ud800": "v"})
    row = message.to_row("s1", 0)
    assert orjson.loads(row["content"]) == ["\U0001f600 ok \ufffd"]
    assert orjson.loads(row["meta"]) == {"k\ufffd": "v"}
