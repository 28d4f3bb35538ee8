"""JSON replies: orjson's encoding, and never a lone surrogate on the wire (nor a 500 for one)."""

from __future__ import annotations

import orjson

from threadkeep.web.responses import reply


def test_a_reply_mends_surrogates_instead_of_failing() -> None:
    r = reply({"title": "half \ud83d", "emoji": "\ud83d\ude00", "n": [1, None]}, 201)
    assert r.status_code == 201 and r.headers["content-type"] == "application/json"
    r.body.decode("utf-8")
    assert orjson.loads(r.body) == {"title": "half \ufffd", "emoji": "\U0001f600", "n": [1, None]}
