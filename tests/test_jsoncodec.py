"""Strict JSON in (no NaN, no lone surrogates, bounded depth), JSON out that mends surrogates."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from threadkeep.jsoncodec import MAX_DEPTH, JsonRefused, depth, dumps, loads, mend_surrogates, strict_bytes


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(("raw", "why"), [
    (b'"a\\udc00b"', "lone UTF-16 surrogate"),
    (b'["\\ud800"]', "lone UTF-16 surrogate"),
    (b'{"k": "\\ud800\\u0041"}', "lone UTF-16 surrogate"),
    (b'"\xed\xb0\x80"', "is not UTF-8"),
    (b"[NaN]", "is not valid JSON"),
    (b"[-Infinity]", "is not valid JSON"),
    (b"[1e400]", "is not valid JSON"),
    (b'{"a": 1,}', "is not valid JSON"),
    (nested(MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH} levels"),
    (nested(5000), f"nests deeper than {MAX_DEPTH} levels"),
])
def test_what_is_refused_and_why(raw: bytes, why: str) -> None:
    with pytest.raises(JsonRefused, match=why):
        loads(raw)


def test_what_is_accepted() -> None:
    assert loads(b'"\\ud83d\\ude00"') == "\U0001f600"  # a pair is one character
    assert loads(b"\xef\xbb\xbf{}") == {}  # a UTF-8 byte order mark is tolerated
    assert depth(loads(nested(MAX_DEPTH))) == MAX_DEPTH
    assert loads('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    assert loads(nested(3), max_depth=3) == [[[]]]
    with pytest.raises(JsonRefused, match="nests deeper than 2 levels"):
        loads(nested(3), max_depth=2)


def test_strict_bytes_hand_on_what_orjson_read() -> None:
    plain = b'{"n": 922337203685477580, "id": "123456789012345678"}'
    assert strict_bytes(plain) is plain  # no run of 19 digits: handed on as it came
    assert json.loads(strict_bytes(b"[9223372036854775807]")) == [2**63 - 1]  # re-encoded, still the same int
    big = b'{"a": -9223372036854775809, "b": 1' + b"0" * 30 + b', "c": 18446744073709551615, "s": "x"}'
    handed = json.loads(strict_bytes(big))  # what FastAPI's decoder will make of it
    assert handed == {"a": -9223372036854775808.0, "b": 1e30, "c": 18446744073709551615, "s": "x"}
    assert isinstance(handed["a"], float) and orjson.dumps(handed)
    with pytest.raises(JsonRefused, match="lone UTF-16 surrogate"):
        strict_bytes(b'["\\udc00"]')


@pytest.mark.parametrize(("value", "levels"), [
    (1, 0), ("[[[", 0), ([], 1), ({"a": 1}, 1), ({"a": [1, {"b": []}]}, 4), ([[], [[[]]], []], 4),
])
def test_depth_counts_levels_of_containers(value: Any, levels: int) -> None:
    assert depth(value) == levels


def test_many_brackets_in_strings_do_not_count() -> None:
    text = json.dumps({"code": "[" * 500 + "{" * 500}).encode()
    assert loads(text) == {"code": "[" * 500 + "{" * 500}


@pytest.mark.parametrize(("text", "mended"), [
    ("plain", "plain"),
    ("a\udc00b", "a\ufffdb"),
    ("\ud83d", "\ufffd"),
    ("x\ud83d\ude00y", "x\U0001f600y"),  # halves of one emoji that arrived apart are joined again
    ("\ude00\ud83d", "\ufffd\ufffd"),
])
def test_mend_surrogates(text: str, mended: str) -> None:
    assert mend_surrogates(text) == mended


def test_dumps_never_fails_on_a_surrogate_and_never_writes_one() -> None:
    value = {"t\udc00": ["a\ud800", {"n": 1, "ok": "\u00e9"}], "e": "\ud83d\ude00"}
    out = dumps(value)
    out.decode("utf-8")  # valid UTF-8: no surrogate went out
    assert orjson.loads(out) == {"t\ufffd": ["a\ufffd", {"n": 1, "ok": "\u00e9"}], "e": "\U0001f600"}
    assert dumps({"a": 1}, option=orjson.OPT_INDENT_2) == orjson.dumps({"a": 1}, option=orjson.OPT_INDENT_2)
