"""JSON replies encoded with orjson.

Handlers return these directly so FastAPI skips its generic encoder: a 10,000-message transcript is encoded
once, by orjson, and nothing else walks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response


class JsonReply(Response):
    """A JSON reply; never cached (hermes sends `Cache-Control: no-store` on every JSON reply too)."""

    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(content, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})})

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def reply(content: Any, status_code: int = 200) -> JsonReply:
    return JsonReply(content, status_code=status_code)
