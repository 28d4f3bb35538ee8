"""Settings: defaults, THREADKEEP_* env vars over defaults, explicit values (the CLI's flags) over env vars."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest
from pydantic import ValidationError

from threadkeep.settings import Settings, default_data_dir


@pytest.fixture(autouse=True)
def _no_threadkeep_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THREADKEEP_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = Settings()
    assert s.data_dir == Path(platformdirs.user_data_dir("threadkeep", appauthor=False)).resolve()
    assert s.data_dir == default_data_dir().resolve()
    assert (s.host, s.port, s.log_level, s.access_log) == ("127.0.0.1", 8787, "info", True)
    assert s.resolved_database_url == f"sqlite:///{s.data_dir / 'threadkeep.db'}"
    assert s.default_workspace == s.data_dir / "workspace"
    assert s.resolved_workspace_roots == [Path.home().resolve(), s.data_dir, s.default_workspace.resolve()]


def test_env_vars_override_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THREADKEEP_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("THREADKEEP_PORT", "9999")
    monkeypatch.setenv("THREADKEEP_HOST", "0.0.0.0")
    monkeypatch.setenv("THREADKEEP_ACCESS_LOG", "false")
    monkeypatch.setenv("THREADKEEP_ALLOWED_HOSTS", '["chat.example.test"]')
    monkeypatch.setenv("THREADKEEP_WORKSPACE_ROOTS", f'["{tmp_path}"]')
    s = Settings()
    assert (s.data_dir, s.port, s.host, s.access_log) == (tmp_path / "env", 9999, "0.0.0.0", False)
    assert s.allowed_hosts == ["chat.example.test"] and s.resolved_workspace_roots == [tmp_path]


def test_explicit_values_beat_env_vars(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THREADKEEP_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("THREADKEEP_PORT", "9999")
    s = Settings(data_dir=tmp_path / "flag")
    assert s.data_dir == tmp_path / "flag" and s.port == 9999  # a flag not given leaves the env var in force
    assert Settings(port=1234).port == 1234


def test_database_url_wins_over_the_data_dir_file(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1/threadkeep")
    assert s.resolved_database_url == "postgresql://postgres@127.0.0.1/threadkeep"


def test_paths_are_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    s = Settings(data_dir=Path("rel"), workspace=Path("~/ws"))
    assert s.data_dir == tmp_path / "rel" and s.workspace == tmp_path / "home" / "ws"
    assert s.default_workspace == tmp_path / "home" / "ws"


def test_sqlite_synchronous_is_checked_and_normalised() -> None:
    assert Settings(sqlite_synchronous="full").sqlite_synchronous == "FULL"
    with pytest.raises(ValidationError):
        Settings(sqlite_synchronous="sometimes")


@pytest.mark.parametrize("port", [-1, 65536])
def test_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(ValidationError):
        Settings(port=port)


def test_a_bad_env_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADKEEP_PORT", "eighty")
    with pytest.raises(ValidationError):
        Settings()
