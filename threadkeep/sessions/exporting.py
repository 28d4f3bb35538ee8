"""Exports of one session: our JSON export format and a readable Markdown transcript.

Owns the export shapes and the download replies. The JSON export is the full session object (as
`GET /api/session` returns it, without live stream state) plus `format`, `exported_by` and, when the session
is in a project, that project's `project` object so an import elsewhere can recreate it. Reading exports
back in (and hermes session files) is `importing`'s job.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from .. import __version__
from .messages import Message
from .projects import Project
from .session import Session

EXPORT_FORMAT = "threadkeep.session.v1"
_TEXT_TYPES = frozenset({"text", "input_text", "output_text"})


def export_document(session: Session, messages: list[Message], project: Project | None = None) -> dict[str, Any]:
    doc = session.full([m.to_dict() for m in messages])
    doc.pop("active_stream_id", None)
    doc.pop("is_streaming", None)
    if project is not None and project.project_id == session.project_id:
        doc["project"] = project.to_dict()
    return {"format": EXPORT_FORMAT, "exported_by": f"threadkeep {__version__}", **doc}


def markdown(session: Session, messages: list[Message], project: Project | None = None) -> str:
    """A readable transcript: a header list, then one `##` section per message (tool calls as JSON blocks)."""
    created = datetime.fromtimestamp(session.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {session.title}", "", f"- Session: `{session.id}`", f"- Created: {created}"]
    if session.model:
        lines.append(f"- Model: {session.model}")
    if project is not None and project.project_id == session.project_id:
        lines.append(f"- Project: {project.name}")
    lines.append(f"- Messages: {session.message_count}")
    for message in messages:
        lines += ["", _heading(message), ""]
        if message.reasoning:
            lines += ["<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>", ""]
        if message.text:
            lines.append(message.text if message.role != "tool" else _block(message.text, ""))
        hidden = _non_text_parts(message.content)
        if hidden:
            lines.append(f"_({hidden} non-text part{'s' if hidden > 1 else ''} not shown)_")
        for call in message.tool_calls or []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            lines += ["", f"Tool call `{fn.get('name', '?')}`:", "", _block(str(fn.get("arguments", "")), "json")]
    return "\n".join(lines) + "\n"


def _heading(message: Message) -> str:
    if message.role == "tool":
        return f"## Tool result{f' `{message.name}`' if message.name else ''}"
    return f"## {message.role.capitalize()}"


def _block(text: str, language: str) -> str:
    """A fenced code block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _non_text_parts(content: Any) -> int:
    if not isinstance(content, list):
        return 0
    return sum(1 for part in content if isinstance(part, dict) and part.get("type", "text") not in _TEXT_TYPES)


def _filename(session: Session, ext: str) -> str:
    # No dots: a title like "../x" must not become a hidden or dotted name in the download folder.
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", session.title).strip("-")[:60].strip("-") or "session"
    return f"{slug}-{session.id}.{ext}"


def session_json(session: Session, messages: list[Message], project: Project | None = None) -> Response:
    body = orjson.dumps(export_document(session, messages, project), option=orjson.OPT_INDENT_2)
    disposition = f'attachment; filename="{_filename(session, "json")}"'
    return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})


def session_markdown(session: Session, messages: list[Message], project: Project | None = None) -> Response:
    disposition = f'attachment; filename="{_filename(session, "md")}"'
    return Response(
        markdown(session, messages, project),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
