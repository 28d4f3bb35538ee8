"""The export shapes: the JSON export document and the Markdown transcript, and their download replies."""

from __future__ import annotations

import orjson

from threadkeep import __version__
from threadkeep.sessions.exporting import EXPORT_FORMAT, export_document, markdown, session_json, session_markdown
from threadkeep.sessions.importing import draft_from_document
from threadkeep.sessions.messages import Message
from threadkeep.sessions.projects import Project
from threadkeep.sessions.session import Session

CALL = {"id": "c1", "type": "function", "function": {"name": "run_command", "arguments": '{"cmd": "ls"}'}}


def session(**changes: object) -> Session:
    fields: dict[str, object] = dict(
        id="0123456789ab", title="Plan: the *trip*", workspace="/tmp", model="openai/gpt-5", profile=None,
        project_id="p1", pinned=True, archived=False, input_tokens=10, output_tokens=5, estimated_cost=0.01,
        message_count=4, next_seq=4, tool_calls_json="[]", created_at=1700000000.0, updated_at=1700000500.0,
        last_message_at=1700000400.0, active_stream_id="stream-1", version=3, owner_id="local", allow_network=False,
    )
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


MESSAGES = [
    Message(role="user", content=[{"type": "text", "text": "What is here?"},
                                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}],
            created_at=1700000100.0, seq=0),
    Message(role="assistant", content="", tool_calls=[CALL], reasoning="Look first.", created_at=1700000200.0,
            seq=1),
    Message(role="tool", content="a.txt\n```\nb.txt", tool_call_id="c1", name="run_command",
            created_at=1700000300.0, seq=2),
    Message(role="assistant", content="Two files.", model="openai/gpt-5", input_tokens=10, output_tokens=5,
            created_at=1700000400.0, meta={"_partial": False}, seq=3),
]
PROJECT = Project("p1", "Travel", "#ff0000", 1690000000.0, 1690000000.0)


def test_json_export_is_the_full_session_with_format_and_no_live_stream_state() -> None:
    doc = export_document(session(), MESSAGES, PROJECT)
    assert doc["format"] == EXPORT_FORMAT == "threadkeep.session.v1"
    assert doc["exported_by"] == f"threadkeep {__version__}"
    assert list(doc)[:2] == ["format", "exported_by"]
    assert "active_stream_id" not in doc and "is_streaming" not in doc
    assert (doc["session_id"], doc["title"], doc["pinned"], doc["total_tokens"]) == (
        "0123456789ab", "Plan: the *trip*", True, 15)
    assert doc["project"] == {"project_id": "p1", "name": "Travel", "color": "#ff0000",
                              "created_at": 1690000000.0, "updated_at": 1690000000.0}
    assert doc["messages"] == [m.to_dict() for m in MESSAGES]
    assert doc["messages"][3] == {"role": "assistant", "content": "Two files.", "model": "openai/gpt-5",
                                  "usage": {"input_tokens": 10, "output_tokens": 5}, "timestamp": 1700000400.0,
                                  "_partial": False}
    orjson.dumps(doc)  # plain JSON all the way down


def test_project_is_left_out_when_it_is_not_the_sessions() -> None:
    assert "project" not in export_document(session(project_id=None), MESSAGES, PROJECT)
    assert "project" not in export_document(session(), MESSAGES)


def test_json_export_reads_back_as_the_same_session() -> None:
    doc = orjson.loads(orjson.dumps(export_document(session(), MESSAGES, PROJECT)))
    draft = draft_from_document(doc, "/default")
    assert (draft.session_id, draft.title, draft.workspace, draft.project_id) == (
        "0123456789ab", "Plan: the *trip*", "/tmp", "p1")
    assert [m.to_dict() for m in draft.messages] == [m.to_dict() for m in MESSAGES]


def test_markdown_transcript() -> None:
    md = markdown(session(), MESSAGES, PROJECT)
    head = md.split("\n\n## ")[0]
    assert head == ("# Plan: the *trip*\n\n- Session: `0123456789ab`\n- Created: 2023-11-14 22:13 UTC\n"
                    "- Model: openai/gpt-5\n- Project: Travel\n- Messages: 4")
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## User", "## Assistant", "## Tool result `run_command`", "## Assistant"]
    assert "What is here?\n_(1 non-text part not shown)_" in md
    assert "<details><summary>Reasoning</summary>\n\nLook first.\n\n</details>" in md
    assert 'Tool call `run_command`:\n\n```json\n{"cmd": "ls"}\n```' in md
    # Tool output holding a fence gets a longer fence, so it cannot close the block early.
    assert "````\na.txt\n```\nb.txt\n````" in md
    assert md.endswith("Two files.\n")


def test_markdown_without_model_or_project() -> None:
    md = markdown(session(model=None, project_id=None, message_count=0), [])
    assert md == ("# Plan: the *trip*\n\n- Session: `0123456789ab`\n- Created: 2023-11-14 22:13 UTC\n"
                  "- Messages: 0\n")


def test_download_replies_name_the_file_after_the_title() -> None:
    reply = session_json(session(), MESSAGES)
    assert reply.media_type == "application/json"
    assert reply.headers["content-disposition"] == 'attachment; filename="Plan-the-trip-0123456789ab.json"'
    assert orjson.loads(reply.body)["session_id"] == "0123456789ab"
    md = session_markdown(session(title="../../etc/passwd"), MESSAGES)
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"] == 'attachment; filename="etc-passwd-0123456789ab.md"'
    untitled = session_json(session(title="???"), [])
    assert untitled.headers["content-disposition"] == 'attachment; filename="session-0123456789ab.json"'
