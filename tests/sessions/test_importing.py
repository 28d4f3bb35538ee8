"""Importing hermes-webui session files and our own exports, and the `threadkeep export` command.

The CLI tests run the real command (`python -m threadkeep ...`) against a temp data dir, on SQLite and
PostgreSQL; the session files are written in hermes-webui's on-disk format (`Session.save`: one
`<session_id>.json` per session in `<state>/sessions/`, an `_index.json` beside them, `projects.json` in the
state dir).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from threadkeep.sessions.importing import NotASession, draft_from_document, session_files
from threadkeep.sessions.messages import MessageError

TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "list_files", "arguments": '{"path": "."}'}}
HERMES_MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "list"}, {"type": "text", "text": "files"}],
     "timestamp": 1700000000.0},
    {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL], "timestamp": 1700000001.0},
    {"role": "tool", "content": "a.txt\nb.txt", "tool_call_id": "call_1", "name": "list_files",
     "timestamp": 1700000002.0},
    {"role": "assistant", "content": "There is **a.txt**.", "reasoning": "look first", "timestamp": 1700000003.5,
     "_partial": False},
]
HERMES_TOOL_CALLS = [{"name": "list_files", "args": {"path": "."}, "result": "a.txt\nb.txt",
                      "assistant_msg_idx": 1}]


def hermes_session(sid: str, workspace: Path, **extra: Any) -> dict[str, Any]:
    """A session file as hermes-webui's Session.save writes it: metadata first, then messages, then extras."""
    return {
        "session_id": sid, "title": f"hermes {sid}", "workspace": str(workspace), "model": "openai/gpt-5",
        "model_provider": "openai", "created_at": 1700000000.0, "updated_at": 1700000100.0, "pinned": False,
        "archived": False, "project_id": None, "profile": "default", "input_tokens": 120, "output_tokens": 30,
        "estimated_cost": 0.002, "personality": None, "active_stream_id": None, "pending_user_message": None,
        "pending_attachments": [], "pending_started_at": None, "compression_anchor_visible_idx": None,
        "compression_anchor_message_key": None, "messages": HERMES_MESSAGES, "tool_calls": HERMES_TOOL_CALLS,
        "last_usage": {"input_tokens": 100, "output_tokens": 20}, **extra,
    }


def hermes_state(root: Path, workspace: Path) -> Path:
    """A hermes-webui state dir: three sessions (one pinned, one archived, one in a project), the index,
    projects.json and a drafts sidecar dir; returns its sessions/ directory."""
    sessions = root / "webui" / "sessions"
    (sessions / "_drafts").mkdir(parents=True)
    docs = [
        hermes_session("00ab34cd56ef", workspace, pinned=True),
        hermes_session("01ab34cd56ef", workspace, project_id="f00dcafe0001"),
        hermes_session("api-reachy-voice_7", workspace, archived=True, workspace_note="ids may carry - and _"),
    ]
    for doc in docs:
        (sessions / f"{doc['session_id']}.json").write_text(json.dumps(doc, indent=2))
    (sessions / "_index.json").write_text(json.dumps([{"session_id": d["session_id"]} for d in docs]))
    (sessions / "_drafts" / "00ab34cd56ef.json").write_text(json.dumps({"text": "draft"}))
    (sessions / "00ab34cd56ef.tmp.123.456").write_text("{")
    projects = [{"project_id": "f00dcafe0001", "name": "Research", "color": "#4a90d9", "created_at": 1690000000.0}]
    (root / "webui" / "projects.json").write_text(json.dumps(projects))
    return sessions


def cli(data_dir: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    flags = ["--data-dir", str(data_dir)] + (["--database-url", url] if url else [])
    return subprocess.run([sys.executable, "-m", "threadkeep", *args, *flags], capture_output=True, text=True,
                          timeout=120)


def exported(data_dir: Path, sid: str, url: str | None = None) -> dict[str, Any]:
    r = cli(data_dir, "export", sid, url=url)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def cli_url(database_url: str) -> str | None:
    """None for SQLite (the data dir's own file, as users run it), else the fresh PostgreSQL database."""
    return None if database_url.startswith("sqlite") else database_url


# -- reading files (no database) ------------------------------------------------------------------------


def test_session_files_takes_a_state_dir_or_its_sessions_dir_and_skips_index_files(tmp_path: Path) -> None:
    sessions = hermes_state(tmp_path, tmp_path)
    names = ["00ab34cd56ef.json", "01ab34cd56ef.json", "api-reachy-voice_7.json"]
    assert [p.name for p in session_files([sessions])] == names
    assert [p.name for p in session_files([sessions.parent])] == names
    assert session_files([sessions / "00ab34cd56ef.json"]) == [sessions / "00ab34cd56ef.json"]


def test_hermes_document_maps_onto_a_draft(tmp_path: Path) -> None:
    draft = draft_from_document(hermes_session("00ab34cd56ef", tmp_path, project_id="f00dcafe0001"), "/default")
    assert (draft.session_id, draft.title, draft.model, draft.workspace) == (
        "00ab34cd56ef", "hermes 00ab34cd56ef", "openai/gpt-5", str(tmp_path))
    assert (draft.created_at, draft.updated_at, draft.project_id) == (1700000000.0, 1700000100.0, "f00dcafe0001")
    assert (draft.input_tokens, draft.output_tokens, draft.estimated_cost) == (120, 30, 0.002)
    assert draft.tool_calls == HERMES_TOOL_CALLS
    assert [m.role for m in draft.messages] == ["user", "assistant", "tool", "assistant"]
    assert draft.messages[0].text == "list files" and draft.messages[1].tool_calls == [TOOL_CALL]
    assert draft.messages[3].reasoning == "look first" and draft.messages[3].meta == {"_partial": False}


def test_missing_workspace_falls_back_to_the_default_and_odd_ids_are_replaced(tmp_path: Path) -> None:
    doc = hermes_session("../../etc/passwd", tmp_path / "gone", project_id="no/such")
    draft = draft_from_document(doc, "/default")
    assert draft.workspace == "/default" and draft.session_id is None and draft.project_id is None


def test_undated_messages_take_hermes_ts_or_the_session_time_not_the_import_time(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "a", "_ts": 1690000000.0}, {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"}]
    draft = draft_from_document(hermes_session("00ab34cd56ef", tmp_path, messages=messages), "/d")
    stamps = [m.created_at for m in draft.messages]
    assert stamps[0] == 1690000000.0 and stamps[1] == 1700000100.0 and 1700000100.0 < stamps[2] < 1700000100.1


def test_times_in_milliseconds_are_converted_and_times_past_year_9999_refused(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "a", "_ts": 1690000000500}, {"role": "assistant", "content": "b"}]
    doc = hermes_session("00ab34cd56ef", tmp_path, messages=messages, created_at=1700000000000,
                         updated_at=1700000100000)
    draft = draft_from_document(doc, "/d")
    assert (draft.created_at, draft.updated_at) == (1700000000.0, 1700000100.0)
    assert [m.created_at for m in draft.messages] == [1690000000.5, 1700000100.0]
    for key, value in (("updated_at", 1e308), ("created_at", -1), ("pending_started_at", 1e20)):
        bad = hermes_session("00ab34cd56ef", tmp_path, pending_user_message="p", **{key: value})
        with pytest.raises(MessageError, match=f"^{key} must be a time in seconds"):
            draft_from_document(bad, "/d")


def test_a_session_saved_mid_turn_keeps_its_pending_user_message(tmp_path: Path) -> None:
    doc = hermes_session("00ab34cd56ef", tmp_path, pending_user_message="and now?", pending_started_at=1700000200.0,
                         active_stream_id="abc")
    draft = draft_from_document(doc, "/d")
    assert (draft.messages[-1].role, draft.messages[-1].text) == ("user", "and now?")
    assert draft.messages[-1].created_at == 1700000200.0
    doc["messages"] = [*HERMES_MESSAGES, {"role": "user", "content": "and now?"}]
    assert len(draft_from_document(doc, "/d").messages) == 5  # already in the transcript: not doubled


@pytest.mark.parametrize("doc", [{"theme": "dark"}, [1, 2], {"format": "other.v9", "messages": []}])
def test_json_that_is_not_a_session_is_recognised(doc: Any) -> None:
    with pytest.raises(NotASession):
        draft_from_document(doc, "/d")


# -- the CLI on a real database ------------------------------------------------------------------------


def test_import_hermes_state_dir_keeps_ids_content_and_projects(tmp_path: Path, cli_url: str | None) -> None:
    data = tmp_path / "data"
    r = cli(data, "import", str(hermes_state(tmp_path, tmp_path)), url=cli_url)
    assert r.returncode == 0, r.stderr
    assert "imported 3, already present 0, deleted (not restored) 0, skipped 0, failed 0" in r.stderr
    doc = exported(data, "00ab34cd56ef", cli_url)
    assert doc["title"] == "hermes 00ab34cd56ef" and doc["pinned"] is True and doc["workspace"] == str(tmp_path)
    assert (doc["created_at"], doc["updated_at"]) == (1700000000.0, 1700000100.0)
    assert (doc["input_tokens"], doc["output_tokens"], doc["estimated_cost"]) == (120, 30, 0.002)
    assert doc["model"] == "openai/gpt-5" and doc["tool_calls"] == HERMES_TOOL_CALLS
    assert [m["content"] for m in doc["messages"]] == [m["content"] for m in HERMES_MESSAGES]
    assert doc["messages"][1]["tool_calls"] == [TOOL_CALL] and doc["messages"][2]["tool_call_id"] == "call_1"
    assert [m["timestamp"] for m in doc["messages"]] == [m["timestamp"] for m in HERMES_MESSAGES]
    assert exported(data, "api-reachy-voice_7", cli_url)["archived"] is True
    in_project = exported(data, "01ab34cd56ef", cli_url)
    assert in_project["project"] == {"project_id": "f00dcafe0001", "name": "Research", "color": "#4a90d9",
                                     "created_at": 1690000000.0, "updated_at": 1690000000.0}


def test_reimport_is_idempotent_and_deleted_sessions_stay_deleted(tmp_path: Path, database_url: str,
                                                                  cli_url: str | None) -> None:
    data = tmp_path / "data"
    sessions = hermes_state(tmp_path, tmp_path)
    assert cli(data, "import", str(sessions), url=cli_url).returncode == 0
    again = cli(data, "import", str(sessions), url=cli_url)
    assert again.returncode == 0 and "imported 0, already present 3" in again.stderr

    async def delete() -> None:
        from threadkeep.db.database import Database
        from threadkeep.db.schema import LOCAL_USER_ID
        from threadkeep.sessions.projects import ProjectStore
        from threadkeep.sessions.store import SessionStore

        db = Database(cli_url or f"sqlite:///{data / 'threadkeep.db'}")
        await SessionStore(db, LOCAL_USER_ID).delete("01ab34cd56ef")
        await ProjectStore(db, LOCAL_USER_ID).delete("f00dcafe0001")
        await db.dispose()

    asyncio.run(delete())
    third = cli(data, "import", str(sessions), url=cli_url)
    assert third.returncode == 0
    assert "already present 2, deleted (not restored) 1" in third.stderr
    assert "01ab34cd56ef was deleted here; not restored" in third.stderr
    gone = cli(data, "export", "01ab34cd56ef", url=cli_url)
    assert gone.returncode == 1 and "Session not found" in gone.stderr
    # The deleted session's project is not brought back either.
    assert "project" not in exported(data, "00ab34cd56ef", cli_url)


def test_export_round_trips_through_import(tmp_path: Path, cli_url: str | None) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert cli(first, "import", str(hermes_state(tmp_path, tmp_path))).returncode == 0
    out = tmp_path / "export.json"
    wrote = cli(first, "export", "01ab34cd56ef", "-o", str(out))
    assert wrote.returncode == 0 and f"wrote {out} (4 messages)" in wrote.stderr
    r = cli(second, "import", str(out), url=cli_url)
    assert r.returncode == 0 and "imported 1" in r.stderr, r.stderr
    a, b = exported(first, "01ab34cd56ef"), exported(second, "01ab34cd56ef", cli_url)
    for key in ("messages", "title", "model", "workspace", "tool_calls", "created_at", "updated_at", "pinned",
                "archived", "input_tokens", "output_tokens", "estimated_cost", "project_id", "project"):
        assert a[key] == b[key], key
    again = cli(second, "import", str(out), url=cli_url)
    assert "imported 0, already present 1" in again.stderr


def test_the_same_id_twice_in_one_import_is_reported_once_imported(tmp_path: Path) -> None:
    sessions = hermes_state(tmp_path, tmp_path)
    copy = tmp_path / "copy.json"
    copy.write_text((sessions / "00ab34cd56ef.json").read_text())
    r = cli(tmp_path / "d", "import", str(sessions), str(copy))
    assert r.returncode == 0 and "imported 3, already present 1" in r.stderr


def test_export_markdown_to_stdout_and_json_to_stdout(tmp_path: Path) -> None:
    cli(tmp_path / "d", "import", str(hermes_state(tmp_path, tmp_path)))
    md = cli(tmp_path / "d", "export", "01ab34cd56ef", "--format", "md")
    assert md.returncode == 0 and md.stdout.startswith("# hermes 01ab34cd56ef\n")
    assert "- Project: Research" in md.stdout and "list files" in md.stdout
    assert "Tool call `list_files`:" in md.stdout and "## Tool result `list_files`" in md.stdout
    out = tmp_path / "t.md"
    assert cli(tmp_path / "d", "export", "01ab34cd56ef", "--format", "md", "-o", str(out)).returncode == 0
    assert out.read_text() == md.stdout
    doc = json.loads(cli(tmp_path / "d", "export", "01ab34cd56ef").stdout)
    assert doc["format"] == "threadkeep.session.v1" and doc["session_id"] == "01ab34cd56ef"


@pytest.mark.parametrize(("content", "why"), [
    ("{broken", "the file is not valid JSON"),
    (json.dumps({"messages": [{"role": "alien"}]}), "messages[0].role must be one of"),
    ('{"messages": [], "title": "\\udc00"}', "the file holds a lone UTF-16 surrogate"),
    ('{"messages": [{"role": "user", "content": "x", "extra": %s}]}' % ("[" * 300 + "]" * 300),
     "the file nests deeper than 64 levels"),
    (json.dumps({"messages": [], "created_at": 1e308}), "created_at must be a time in seconds"),
    (json.dumps({"messages": [{"role": "user", "timestamp": -1}]}), "messages[0].timestamp must be a time"),
])
def test_bad_files_fail_with_a_reason_and_the_rest_still_import(tmp_path: Path, content: str, why: str) -> None:
    sessions = hermes_state(tmp_path, tmp_path)
    (sessions / "bad.json").write_text(content)
    r = cli(tmp_path / "d", "import", str(sessions))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"failed: {sessions / 'bad.json'}: {why}" in r.stderr and "imported 3" in r.stderr


def test_non_session_json_is_skipped(tmp_path: Path) -> None:
    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"theme": "dark"}))
    r = cli(tmp_path / "d", "import", str(other))
    assert r.returncode == 0 and "skipped 1" in r.stderr and "not a session file" in r.stderr


def _refuse_title(data_dir: Path, url: str | None, title: str) -> None:
    """A trigger that makes the database itself refuse any session with this title."""
    if url is None:
        con = sqlite3.connect(data_dir / "threadkeep.db")
        con.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON sessions WHEN NEW.title = '{title}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END")
        con.commit()
        con.close()
        return

    async def create() -> None:
        import asyncpg

        con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await con.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; "
            "RETURN NEW; END $$")
        await con.execute("CREATE TRIGGER refuse BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION refuse()")
        await con.close()

    asyncio.run(create())


def test_a_session_the_database_refuses_fails_alone(tmp_path: Path, cli_url: str | None) -> None:
    """The database refuses one file's session: that file fails with the database's reason, its batch imports."""
    sessions = hermes_state(tmp_path, tmp_path)
    doc = hermes_session("0badbadbad01", tmp_path, title="refuse me")
    (sessions / "0badbadbad01.json").write_text(json.dumps(doc))
    assert cli(tmp_path / "d", "db", "upgrade", url=cli_url).returncode == 0
    _refuse_title(tmp_path / "d", cli_url, "refuse me")
    r = cli(tmp_path / "d", "import", str(sessions), url=cli_url)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"failed: {sessions / '0badbadbad01.json'}: database refused it: " in r.stderr
    assert "refused by a test trigger" in r.stderr
    assert "imported 3, already present 0, deleted (not restored) 0, skipped 0, failed 1" in r.stderr


def test_clean_errors_for_a_missing_path_an_unknown_session_and_a_bad_id(tmp_path: Path) -> None:
    r = cli(tmp_path / "d", "import", str(tmp_path / "nope"))
    assert r.returncode == 2 and "no such file or directory" in r.stderr and "Traceback" not in r.stderr
    r = cli(tmp_path / "d", "export", "abcdef123456")
    assert r.returncode == 1 and "Session not found: abcdef123456" in r.stderr and "Traceback" not in r.stderr
    r = cli(tmp_path / "d", "export", "../../etc")
    assert r.returncode == 2 and "not a valid session id" in r.stderr
    r = cli(tmp_path / "d", "export", "abcdef123456", "--format", "pdf")
    assert r.returncode == 2 and "format must be json or md" in r.stderr


def test_export_to_an_unwritable_place_is_a_clean_error(tmp_path: Path) -> None:
    cli(tmp_path / "d", "import", str(hermes_state(tmp_path, tmp_path)))
    r = cli(tmp_path / "d", "export", "00ab34cd56ef", "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert r.returncode == 1 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_import_of_many_sessions_uses_few_transactions(tmp_path: Path) -> None:
    """450 sessions: three batches. A behaviour check (everything arrives), not a timing assert."""
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    now = time.time()
    for i in range(450):
        doc = hermes_session(f"{i:012x}", tmp_path, created_at=now - i, updated_at=now - i)
        (sessions / f"{i:012x}.json").write_text(json.dumps(doc))
    r = cli(tmp_path / "d", "import", str(sessions))
    assert r.returncode == 0 and "imported 450" in r.stderr
    assert exported(tmp_path / "d", f"{449:012x}")["messages"][3]["content"] == "There is **a.txt**."
