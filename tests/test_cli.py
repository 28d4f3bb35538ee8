"""The command line as users run it (`python -m threadkeep ...` subprocesses): version, db upgrade, serve
(start, answer, stop cleanly on SIGTERM and SIGINT), settings precedence and clean errors.

Import and export commands: tests/test_importing.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.live import free_port
from threadkeep import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THREADKEEP_")}
    return subprocess.run([sys.executable, "-m", "threadkeep", *args], capture_output=True, text=True,
                          timeout=120, env={**clean, **(env or {})})


def test_version() -> None:
    r = run("version")
    assert r.returncode == 0 and r.stdout.strip() == f"threadkeep {__version__}"


def test_no_command_prints_help() -> None:
    r = run()
    assert "serve" in r.stdout and "import" in r.stdout and "export" in r.stdout and "Traceback" not in r.stderr


def test_db_upgrade_is_idempotent(tmp_path: Path, database_url: str) -> None:
    for _ in range(2):
        r = run("db", "upgrade", "--data-dir", str(tmp_path / "d"), "--database-url", database_url)
        assert r.returncode == 0 and r.stdout.startswith("database at revision "), r.stderr
    if database_url.startswith("sqlite"):
        assert (tmp_path / "threadkeep.db").exists()


def test_db_upgrade_uses_the_data_dir_file_by_default(tmp_path: Path) -> None:
    r = run("db", "upgrade", "--data-dir", str(tmp_path))
    assert r.returncode == 0 and (tmp_path / "threadkeep.db").exists()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve", "--port", "0"], ["export", "abcdef123456"],
                                     ["import", "."]])
@pytest.mark.parametrize(("url", "reason"), [
    ("mysql://localhost/x", "unsupported database URL 'mysql'"),
    ("postgresql://postgres@127.0.0.1:1/x", "cannot use the database"),
])
def test_a_bad_database_url_is_one_clean_line(tmp_path: Path, command: list[str], url: str, reason: str) -> None:
    r = run(*command, "--data-dir", str(tmp_path), "--database-url", url)
    assert r.returncode == 1 and reason in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: cannot use the database: ")


@pytest.mark.parametrize("env", [{"THREADKEEP_PORT": "abc"}, {"THREADKEEP_SQLITE_SYNCHRONOUS": "SOMETIMES"}])
def test_an_invalid_setting_is_a_clean_error(tmp_path: Path, env: dict[str, str]) -> None:
    r = run("serve", "--data-dir", str(tmp_path), env=env)
    assert r.returncode == 2 and r.stderr.startswith("error: invalid settings: ") and "Traceback" not in r.stderr


def wait_for_health(port: int, proc: subprocess.Popen[str], timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
                return json.loads(reply.read())  # type: ignore[no-any-return]
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no /health answer (exit code {proc.poll()})")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_then_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    """Port and workspace from THREADKEEP_* env vars, the data dir from the flag (which beats the env var)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADKEEP_")}
    env |= {"THREADKEEP_PORT": str(port), "THREADKEEP_DATA_DIR": str(tmp_path / "env-dir"),
            "THREADKEEP_WORKSPACE": str(tmp_path / "ws")}
    proc = subprocess.Popen([sys.executable, "-m", "threadkeep", "serve", "--data-dir", str(tmp_path / "flag-dir")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        health = wait_for_health(port, proc)
        assert {k: health[k] for k in ("status", "version", "database", "active_streams")} == {
            "status": "ok", "version": __version__, "database": "sqlite", "active_streams": 0}
        assert isinstance(health["uptime_seconds"], float)
    finally:
        proc.send_signal(stop)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert (tmp_path / "flag-dir" / "threadkeep.db").exists() and not (tmp_path / "env-dir").exists()
    assert (tmp_path / "ws").is_dir()
    access = [line for line in out.splitlines() if "GET /health" in line]
    assert len(access) == 1 and "200" in access[0]  # one access-log line per request
    assert "Shutting down" in out and "Finished server process" in out and "Traceback" not in out


def test_env_var_is_used_when_no_flag_is_given(tmp_path: Path) -> None:
    r = run("db", "upgrade", env={"THREADKEEP_DATA_DIR": str(tmp_path / "env")})
    assert r.returncode == 0 and (tmp_path / "env" / "threadkeep.db").exists()


def test_cli_flags_beat_env_vars(tmp_path: Path) -> None:
    r = run("db", "upgrade", "--data-dir", str(tmp_path / "flag"), env={"THREADKEEP_DATA_DIR": str(tmp_path / "env")})
    assert r.returncode == 0
    assert (tmp_path / "flag" / "threadkeep.db").exists() and not (tmp_path / "env").exists()


def test_database_url_env_var_beats_the_data_dir_default(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    r = run("db", "upgrade", "--data-dir", str(tmp_path / "d"), env={"THREADKEEP_DATABASE_URL": f"sqlite:///{db}"})
    assert r.returncode == 0 and db.exists() and not (tmp_path / "d" / "threadkeep.db").exists()
