"""JSON from outside, read strictly, and JSON out that cannot fail on a bad string.

Owns the one decoder for untrusted JSON (request bodies, imported files): RFC 8259 as I-JSON (RFC 7493)
narrows it (UTF-8 only; no NaN, Infinity or lone UTF-16 surrogates) and at most `MAX_DEPTH` levels of
nesting, so whatever is stored can always be encoded again (orjson refuses to encode deeper than 254
levels, or a lone surrogate). Surrogates that reach a string some other way (a provider that escapes an
emoji as two halves in two chunks) are mended: a pair becomes its character, a lone one U+FFFD, in what is
encoded (`dumps`) and what is stored (`db.schema.SafeText`). It knows nothing of HTTP: the web layer turns
`JsonRefused` into a 400.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# Deep enough for any message, tool call or export (they nest 5-10 levels); shallow enough that a reply
# wrapping stored content in a few more levels stays far below orjson's limit of 254.
MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")
# Nineteen digits in a row: the shortest integer orjson may read as a float (below -2**63 or above 2**64-1).
_LONG_DIGITS = re.compile(rb"\d{19}")
_BOM = b"\xef\xbb\xbf"


class JsonRefused(ValueError):
    """The input is not strict JSON, or nests deeper than allowed. The text says why and reads after a
    subject: "request body " + "nests deeper than 64 levels"."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode strict JSON no deeper than `max_depth` levels (a UTF-8 byte order mark is tolerated)."""
    if isinstance(data, bytes) and data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonRefused(_describe(exc, max_depth)) from None
    if _may_be_deeper(data, max_depth) and depth(value) > max_depth:
        raise JsonRefused(f"nests deeper than {max_depth} levels")
    return value


def strict_bytes(data: bytes, *, max_depth: int = MAX_DEPTH) -> bytes:
    """The bytes of a document `loads` accepts, to hand to a laxer decoder (Python's json, in FastAPI) so that
    it reads the same values: `data` itself, unless it may hold an integer past 64 bits. orjson reads that as
    the nearest float, as JavaScript does, where Python would keep an int no encoder here can write again
    (a 500 when it is stored or sent back); then the document as orjson writes what it read.

    JsonRefused as `loads`."""
    value = loads(data, max_depth=max_depth)
    return orjson.dumps(value) if _LONG_DIGITS.search(data) else data


def loads_lenient(data: bytes | str) -> Any:
    """JSON a model server sent: strict where it can be, but a lone surrogate escape is kept (as a lone
    surrogate, mended later) rather than failing the turn: some servers escape each chunk alone, an emoji's
    two halves in two chunks."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "surrogate in string" not in exc.msg:
            raise
        return json.loads(data)


def _describe(exc: orjson.JSONDecodeError, max_depth: int) -> str:
    if "not valid UTF-8" in exc.msg:
        return "is not UTF-8"
    if "surrogate in string" in exc.msg:
        return f"holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape) at char {exc.pos}"
    if "depth limit" in exc.msg:
        return f"nests deeper than {max_depth} levels"
    return f"is not valid JSON: {exc}"


def _may_be_deeper(data: bytes | str, max_depth: int) -> bool:
    """False when there are too few brackets to nest that deep: most bodies skip the walk."""
    if isinstance(data, str):
        return data.count("[") + data.count("{") > max_depth
    return data.count(b"[") + data.count(b"{") > max_depth


def depth(value: Any) -> int:
    """Levels of nesting of a decoded value: 0 for a scalar, 1 for a flat list or object, ...

    A level at a time, in comprehensions: a 10,000-message body takes ~5 ms (a stack walk took twice that)."""
    levels = 0
    current: list[Any] = [value] if isinstance(value, dict | list) else []
    while current:
        levels += 1
        children = [c for d in current if type(d) is dict for c in d.values()]
        children += [c for seq in current if type(seq) is list for c in seq]
        current = [c for c in children if type(c) is dict or type(c) is list]
    return levels


def dumps(value: Any, *, option: int | None = None) -> bytes:
    """orjson's encoding; surrogates in a string (or key) are mended instead of failing the encoding."""
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError as exc:
        if "surrogates" not in str(exc):
            raise
        return orjson.dumps(without_surrogates(value), option=option)


def mend_surrogates(text: str) -> str:
    """`text` with each surrogate pair joined into its character and each lone surrogate as U+FFFD."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def without_surrogates(value: Any) -> Any:
    """A copy of a JSON-like value with the surrogates in its strings (and keys) mended."""
    if isinstance(value, str):
        return mend_surrogates(value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_surrogates(v) for v in value]
    return value
