"""The agent tools on a real workspace and real subprocesses: specs, argument errors as results, file
tools, and run_command's cwd, exit code, timeout (whole process group), output cap and clean env.
The sandbox and the resource limits have their own tests (test_sandbox.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest

from threadkeep.chat.tools import Toolbox, command_env, needs_approval


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "main.py").write_text("def main():\n    return 42\n")
    (ws / "notes.txt").write_text("one\ntwo\nthree\nfour\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return ws


@pytest.fixture
def box() -> Toolbox:
    return Toolbox(command_timeout=10, output_cap=2000)


def args(**values: object) -> str:
    return orjson.dumps(values).decode()


def test_specs_are_openai_function_tools(box: Toolbox) -> None:
    specs = box.specs()
    assert [s["function"]["name"] for s in specs] == [
        "list_files", "read_file", "write_file", "search_files", "run_command"]
    for spec in specs:
        assert spec["type"] == "function"
        function = spec["function"]
        assert function["description"]
        params = function["parameters"]
        assert params["type"] == "object"
        assert "title" not in params
        for prop in params["properties"].values():
            assert "title" not in prop and "anyOf" not in prop and "type" in prop
    write = specs[2]["function"]["parameters"]
    assert write["required"] == ["path", "content"]


def test_writes_and_commands_need_approval(box: Toolbox) -> None:
    assert [n for n in box.names if needs_approval(n)] == ["write_file", "run_command"]
    assert box.needs_approval("run_command") and not box.needs_approval("read_file")


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        ("read_file", "{not json", "not valid JSON"),
        ("read_file", "[1, 2]", "must be a JSON object"),
        ("read_file", "{}", "path: Field required"),
        ("read_file", args(path="notes.txt", offset=0), "offset"),
        ("run_command", args(command=""), "command"),
        ("launch_rockets", "{}", "Unknown tool: launch_rockets"),
    ],
)
async def test_bad_calls_are_tool_errors_not_exceptions(box: Toolbox, root: Path, name: str, arguments: str,
                                                        error: str) -> None:
    result = await box.run(name, root, arguments)
    assert not result.ok
    assert result.error is not None and error in result.error
    assert result.duration_ms >= 0


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "src/../../secret.txt", "a\x00b"])
async def test_paths_outside_the_workspace_are_refused(box: Toolbox, root: Path, path: str) -> None:
    for name, extra in (("read_file", {}), ("write_file", {"content": "x"}), ("list_files", {})):
        result = await box.run(name, root, args(path=path, **extra))
        assert not result.ok, (name, path)
        assert result.error and ("workspace" in result.error or "NUL" in result.error)
    assert (root.parent / "secret.txt").read_text() == "outside\n"


async def test_symlink_out_is_refused(box: Toolbox, root: Path) -> None:
    (root / "escape").symlink_to(root.parent)
    result = await box.run("read_file", root, args(path="escape/secret.txt"))
    assert not result.ok and "outside the workspace" in (result.error or "")


async def test_list_read_write_search(box: Toolbox, root: Path) -> None:
    listed = await box.run("list_files", root, "{}")
    assert listed.ok and listed.output.splitlines() == ["src/", "notes.txt  (19 bytes)"]
    read = await box.run("read_file", root, args(path="notes.txt", offset=2, limit=2))
    assert read.ok and read.output == "two\nthree\n"
    written = await box.run("write_file", root, args(path="out/new.md", content="# new\n"))
    assert written.ok and written.output == "Created out/new.md (6 bytes)"
    again = await box.run("write_file", root, args(path="out/new.md", content="# newer\n"))
    assert again.output.startswith("Overwrote")
    assert (root / "out" / "new.md").read_text() == "# newer\n"
    found = await box.run("search_files", root, args(query="return"))
    assert found.ok and found.output == "src/main.py:2: return 42"
    none = await box.run("search_files", root, args(query="zebra"))
    assert none.ok and none.output.startswith("No matches")


async def test_long_output_is_capped(root: Path) -> None:
    box = Toolbox(output_cap=1000)
    (root / "long.txt").write_text("y" * 5000)
    result = await box.run("read_file", root, args(path="long.txt"))
    assert result.ok
    assert result.output.startswith("y" * 1000)
    assert result.output.endswith("[output truncated: 4000 more characters]")


# -- run_command -----------------------------------------------------------------------------------------


async def test_command_runs_in_the_workspace_and_reports_exit_code(box: Toolbox, root: Path) -> None:
    result = await box.run("run_command", root, args(command="pwd; ls; echo oops >&2; exit 3"))
    assert result.ok
    lines = result.output.splitlines()
    assert lines[0] == "exit code: 3"
    assert lines[1] == str(root.resolve())
    assert "notes.txt" in lines and "oops" in lines


async def test_command_timeout_kills_the_whole_process_group(root: Path, tmp_path: Path) -> None:
    # Unsandboxed, so the pid file (outside the workspace) holds a host pid; sandboxed: test_sandbox.py.
    box = Toolbox(command_timeout=0.5, output_cap=2000, sandbox="off")
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = await box.run("run_command", root, args(command=f"sleep 60 & echo $! > {pidfile}; echo started; wait"))
    assert time.monotonic() - started < 10
    assert not result.ok
    assert result.error == "Command timed out after 0.5 s and was stopped"
    assert "started" in result.output
    child = int(pidfile.read_text())
    assert not _alive(child)


async def test_the_caller_cannot_raise_the_timeout_above_the_setting(root: Path) -> None:
    box = Toolbox(command_timeout=0.3)
    result = await box.run("run_command", root, args(command="sleep 30", timeout=100))
    assert not result.ok and "timed out after 0.3 s" in (result.error or "")


async def test_background_children_do_not_hold_the_command_open(root: Path, tmp_path: Path) -> None:
    box = Toolbox(command_timeout=10, sandbox="off")
    pidfile = tmp_path / "bg.pid"
    started = time.monotonic()
    result = await box.run("run_command", root, args(command=f"sleep 60 & echo $! > {pidfile}; echo done"))
    assert time.monotonic() - started < 5
    assert result.ok and result.output.splitlines() == ["exit code: 0", "done"]
    assert result.sandboxed is False
    assert not _alive(int(pidfile.read_text()))


async def test_command_output_is_capped(root: Path) -> None:
    box = Toolbox(output_cap=1000)
    command = "printf '%5000s\\n' '' | tr ' ' z"
    result = await box.run("run_command", root, args(command=command))
    assert result.ok
    assert len(result.output) <= 1000
    assert result.output.startswith("exit code: 0\n" + "z" * 500)
    assert result.output.endswith("[output truncated: 4201 more bytes]")


async def test_endless_output_stops_the_command(root: Path) -> None:
    box = Toolbox(command_timeout=30, output_cap=1000)
    started = time.monotonic()
    result = await box.run("run_command", root, args(command="yes"))
    assert time.monotonic() - started < 10
    assert not result.ok and "more than 16000 bytes of output" in (result.error or "")
    assert result.output.startswith("y\ny\n")


async def test_commands_get_no_secrets(box: Toolbox, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-should-not-leak")
    monkeypatch.setenv("THREADKEEP_DATABASE_URL", "postgresql://u:pw@h/db")
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    env = command_env(root)
    assert "OPENAI_API_KEY" not in env and "MY_SERVICE_TOKEN" not in env and "THREADKEEP_DATABASE_URL" not in env
    assert "PATH" in env
    result = await box.run("run_command", root, args(command="env"))
    assert "should-not-leak" not in result.output and "pw@h" not in result.output
    assert "HARMLESS_SETTING=visible" in result.output


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A killed child of an exited shell is reparented and reaped by init; give it a moment.
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True
