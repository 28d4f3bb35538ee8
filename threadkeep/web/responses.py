"""JSON replies encoded with orjson.

Handlers return these directly so FastAPI skips its generic encoder: a 10,000-message transcript is encoded
once, by orjson, and nothing else walks it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JsonReply(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def reply(content: Any, status_code: int = 200) -> JsonReply:
    return JsonReply(content, status_code=status_code)
