"""The command line as users run it: version, db upgrade, serve (start, answer, stop on SIGTERM), settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.live import free_port
from threadkeep import __version__
from threadkeep.settings import Settings


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "threadkeep", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_version() -> None:
    r = run("version")
    assert r.returncode == 0 and r.stdout.strip() == f"threadkeep {__version__}"


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        r = run("db", "upgrade", "--data-dir", str(tmp_path))
        assert r.returncode == 0 and "database at revision" in r.stdout, r.stderr
    assert (tmp_path / "threadkeep.db").exists()


def test_bad_database_url_is_a_clean_error(tmp_path: Path) -> None:
    r = run("db", "upgrade", "--database-url", "mysql://localhost/x")
    assert r.returncode == 1 and "unsupported database URL" in r.stderr and "Traceback" not in r.stderr


def test_serve_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "threadkeep", "serve", "--port", str(port),
                             "--data-dir", str(tmp_path / "d")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    health = json.loads(r.read())
            except OSError:
                time.sleep(0.1)
        assert health == {"status": "ok", "version": __version__, "database": "sqlite"}
        assert (tmp_path / "d" / "workspace").is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "GET /health" in out  # one access-log line per request
    assert "Shutting down" in out or "Finished server process" in out


def test_settings_precedence_flag_over_env_over_default(tmp_path: Path, monkeypatch: object) -> None:
    env_dir = tmp_path / "from-env"
    os.environ["THREADKEEP_DATA_DIR"] = str(env_dir)
    os.environ["THREADKEEP_PORT"] = "9999"
    try:
        from_env = Settings()
        assert from_env.data_dir == env_dir and from_env.port == 9999
        flagged = Settings(data_dir=tmp_path / "flag")
        assert flagged.data_dir == tmp_path / "flag" and flagged.port == 9999
    finally:
        del os.environ["THREADKEEP_DATA_DIR"], os.environ["THREADKEEP_PORT"]
    default = Settings()
    assert default.port == 8787 and default.host == "127.0.0.1"
    assert default.resolved_database_url == f"sqlite:///{default.data_dir / 'threadkeep.db'}"
    assert default.default_workspace == default.data_dir / "workspace"


def test_cli_flags_beat_env_vars(tmp_path: Path) -> None:
    r = run("db", "upgrade", "--data-dir", str(tmp_path / "flag"), env={"THREADKEEP_DATA_DIR": str(tmp_path / "env")})
    assert r.returncode == 0
    assert (tmp_path / "flag" / "threadkeep.db").exists() and not (tmp_path / "env").exists()
