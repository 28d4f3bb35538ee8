"""Exports of one session: our JSON export format and a readable Markdown transcript.

Owns the export shapes and the download replies. Reading exports back in (and hermes session files) is
`importing`'s job.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from . import __version__
from .messages import Message
from .sessions import Session

EXPORT_FORMAT = "threadkeep.session.v1"


def export_document(session: Session, messages: list[Message]) -> dict[str, Any]:
    doc = session.full([m.to_dict() for m in messages])
    doc.pop("active_stream_id", None)
    doc.pop("is_streaming", None)
    return {"format": EXPORT_FORMAT, "exported_by": f"threadkeep {__version__}", **doc}


def markdown(session: Session, messages: list[Message]) -> str:
    created = datetime.fromtimestamp(session.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {session.title}", "", f"- Session: `{session.id}`", f"- Created: {created}"]
    if session.model:
        lines.append(f"- Model: {session.model}")
    lines.append(f"- Messages: {session.message_count}")
    for message in messages:
        lines += ["", f"## {message.role.capitalize()}", ""]
        if message.reasoning:
            lines += ["<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>", ""]
        if message.text:
            lines.append(message.text)
        for call in message.tool_calls or []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            lines += ["", f"Tool call `{fn.get('name', '?')}`:", "", "```json", str(fn.get("arguments", "")), "```"]
    return "\n".join(lines) + "\n"


def _filename(session: Session, ext: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", session.title).strip("-")[:60] or "session"
    return f"{slug}-{session.id}.{ext}"


def session_json(session: Session, messages: list[Message]) -> Response:
    body = orjson.dumps(export_document(session, messages), option=orjson.OPT_INDENT_2)
    disposition = f'attachment; filename="{_filename(session, "json")}"'
    return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})


def session_markdown(session: Session, messages: list[Message]) -> Response:
    disposition = f'attachment; filename="{_filename(session, "md")}"'
    return Response(
        markdown(session, messages),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
