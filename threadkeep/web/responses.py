"""JSON replies encoded with orjson.

Handlers return these directly so FastAPI skips its generic encoder: a 10,000-message transcript is encoded
once, by orjson, and nothing else walks it. A lone surrogate that reached a reply goes out as U+FFFD
(`jsoncodec.dumps`), never as a 500 or as invalid UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from ..jsoncodec import dumps


class JsonReply(Response):
    """A JSON reply; never cached (hermes sends `Cache-Control: no-store` on every JSON reply too)."""

    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(content, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})})

    def render(self, content: Any) -> bytes:
        return dumps(content)


def reply(content: Any, status_code: int = 200) -> JsonReply:
    return JsonReply(content, status_code=status_code)
