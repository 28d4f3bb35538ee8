"""Importing hermes-webui session files and our own exports through the CLI, and exporting back out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERMES_MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "list"}, {"type": "text", "text": "files"}]},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "list_files", "arguments": "{}"}}]},
    {"role": "tool", "content": "a.txt", "tool_call_id": "c1", "name": "list_files"},
    {"role": "assistant", "content": "There is **a.txt**.", "timestamp": 1700000000.5},
]


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "threadkeep", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def hermes_dir(root: Path, n: int = 3) -> Path:
    sessions = root / "sessions"
    sessions.mkdir(parents=True)
    now = time.time()
    for i in range(n):
        sid = f"{i:02d}ab34cd56ef"
        doc = {"session_id": sid, "title": f"hermes {i}", "workspace": str(root), "model": "openai/gpt-5",
               "messages": HERMES_MESSAGES, "tool_calls": [], "created_at": now - 1000 * i,
               "updated_at": now - 1000 * i, "pinned": i == 0, "archived": i == 2, "project_id": None,
               "profile": None, "input_tokens": 120, "output_tokens": 30, "estimated_cost": 0.002}
        (sessions / f"{sid}.json").write_text(json.dumps(doc))
    (sessions / "_index.json").write_text("[]")
    return sessions


def exported(data_dir: Path, sid: str) -> dict[str, Any]:
    r = cli(data_dir, "export", sid)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_import_hermes_directory_keeps_ids_and_content(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = cli(data, "import", str(hermes_dir(tmp_path)))
    assert r.returncode == 0, r.stderr
    assert "imported 3" in r.stderr
    doc = exported(data, "00ab34cd56ef")
    assert doc["title"] == "hermes 0" and doc["pinned"] is True and doc["workspace"] == str(tmp_path)
    assert [m["role"] for m in doc["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert doc["messages"][1]["tool_calls"][0]["function"]["name"] == "list_files"
    assert doc["messages"][2]["tool_call_id"] == "c1"
    assert doc["messages"][3]["timestamp"] == 1700000000.5
    assert (doc["input_tokens"], doc["output_tokens"]) == (120, 30)
    assert exported(data, "02ab34cd56ef")["archived"] is True


def test_reimport_is_idempotent_and_deleted_sessions_stay_deleted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sessions = hermes_dir(tmp_path)
    assert cli(data, "import", str(sessions)).returncode == 0
    again = cli(data, "import", str(sessions))
    assert again.returncode == 0 and "imported 0, already present 3" in again.stderr

    async def delete() -> None:
        from threadkeep.database import Database
        from threadkeep.store import SessionStore

        db = Database(f"sqlite:///{data / 'threadkeep.db'}")
        await SessionStore(db).delete("01ab34cd56ef")
        await db.dispose()

    import asyncio

    asyncio.run(delete())
    third = cli(data, "import", str(sessions))
    assert "deleted (not restored) 1" in third.stderr
    assert cli(data, "export", "01ab34cd56ef").returncode == 1


def test_export_round_trips_through_import(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    cli(first, "import", str(hermes_dir(tmp_path)))
    out = tmp_path / "export.json"
    assert cli(first, "export", "00ab34cd56ef", "-o", str(out)).returncode == 0
    assert cli(second, "import", str(out)).returncode == 0
    a, b = exported(first, "00ab34cd56ef"), exported(second, "00ab34cd56ef")
    assert a["messages"] == b["messages"] and a["title"] == b["title"]


def test_export_markdown(tmp_path: Path) -> None:
    cli(tmp_path / "d", "import", str(hermes_dir(tmp_path)))
    r = cli(tmp_path / "d", "export", "00ab34cd56ef", "--format", "md")
    assert r.returncode == 0 and r.stdout.startswith("# hermes 0") and "list files" in r.stdout


@pytest.mark.parametrize("content", ["{broken", json.dumps({"messages": [{"role": "alien"}]})])
def test_bad_files_fail_with_a_reason_and_exit_1(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = cli(tmp_path / "d", "import", str(bad))
    assert r.returncode == 1 and "failed: " in r.stderr and "Traceback" not in r.stderr


def test_non_session_json_is_skipped(tmp_path: Path) -> None:
    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"theme": "dark"}))
    r = cli(tmp_path / "d", "import", str(other))
    assert r.returncode == 0 and "skipped 1" in r.stderr


def test_missing_path_and_unknown_session_are_clean_errors(tmp_path: Path) -> None:
    r = cli(tmp_path / "d", "import", str(tmp_path / "nope"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    r = cli(tmp_path / "d", "export", "abcdef123456")
    assert r.returncode == 1 and "Session not found" in r.stderr
    r = cli(tmp_path / "d", "export", "../../etc")
    assert r.returncode == 2 and "not a valid session id" in r.stderr
