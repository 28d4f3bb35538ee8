"""run_command under the sandbox, for real: under bubblewrap a command sees only the system (read-only), a
fresh /tmp and its workspace, and no network unless allowed; in every mode the CPU, memory and file size
limits stop it, and the timeout and output cap still hold. A turn carries the flag to the page, live and
stored. Tests needing bubblewrap skip when it does not work on this machine."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.chat.test_turns import approve_next, chat, chat_app, events, start, transcript  # noqa: F401 (fixtures)
from tests.fakes.openai_server import FakeOpenAI, Reply, ToolCall
from tests.sse_client import named
from threadkeep.chat.sandbox import Limits, Sandbox, SandboxMode
from threadkeep.chat.tools import Toolbox, ToolResult

_STATUS = Sandbox().status()
needs_bwrap = pytest.mark.skipif(_STATUS["kind"] != "bwrap", reason=f"no sandbox here: {_STATUS['reason']}")
# Inside the sandbox only the system's Python is there (the test's venv is not visible).
SANDBOX_PYTHON = "/usr/bin/python3"
needs_python = pytest.mark.skipif(not os.path.exists(SANDBOX_PYTHON), reason=f"{SANDBOX_PYTHON} is missing")
MODES = [pytest.param("bwrap", marks=[needs_bwrap, needs_python]), "off"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "hello.txt").write_text("hello\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.txt").write_text("top secret\n")
    (data / "threadkeep.db").write_bytes(b"SQLite format 3\x00")
    return ws


@pytest.fixture
def listener() -> Iterator[int]:
    """A listening TCP socket on the host's loopback; its port."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def python(mode: str) -> str:
    return SANDBOX_PYTHON if mode == "bwrap" else sys.executable


async def run(box: Toolbox, root: Path, command: str, *, allow_network: bool = False) -> ToolResult:
    return await box.run("run_command", root, orjson.dumps({"command": command}).decode(),
                         allow_network=allow_network)


# -- what a sandboxed command sees -----------------------------------------------------------------------


@needs_bwrap
async def test_sandboxed_command_works_in_its_workspace(root: Path) -> None:
    result = await run(Toolbox(sandbox="bwrap"), root, "pwd; cat hello.txt; echo made > made.txt")
    assert result.ok and result.sandboxed is True
    assert result.output.splitlines() == ["exit code: 0", str(root), "hello"]
    assert result.to_dict()["sandboxed"] is True
    assert (root / "made.txt").read_text() == "made\n"


@needs_bwrap
async def test_sandboxed_command_sees_nothing_of_the_host_but_the_system(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "data" / "secret.txt"
    result = await run(Toolbox(sandbox="bwrap"), root, f"cat {secret}; ls {tmp_path}; echo $HOME; ls /")
    assert result.ok and "top secret" not in result.output
    lines = result.output.splitlines()
    assert "No such file or directory" in lines[1]
    assert lines[2] == "ws"  # the data directory and the database are not there
    assert lines[3] == "/tmp"  # home is the fresh /tmp, not the server's
    system = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr"}
    assert set(lines[5:]) <= system | {root.parts[1]}


@needs_bwrap
async def test_sandboxed_command_cannot_write_outside_its_workspace(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "data" / "secret.txt"
    command = f"echo x > {secret}; echo x > {tmp_path}/escaped.txt; touch /usr/planted; echo x > /tmp/scratch"
    result = await run(Toolbox(sandbox="bwrap"), root, command)
    assert "Read-only file system" in result.output
    assert secret.read_text() == "top secret\n"
    assert not (tmp_path / "escaped.txt").exists() and not Path("/usr/planted").exists()


@needs_bwrap
@pytest.mark.skipif(not os.path.exists("/etc/shadow"), reason="no /etc/shadow here")
async def test_sandboxed_command_cannot_read_password_hashes(root: Path) -> None:
    result = await run(Toolbox(sandbox="bwrap"), root, "cat /etc/shadow /etc/passwd")
    assert "root:" in result.output  # /etc is there ...
    assert not any(line.startswith("root:") and line.count(":") == 8 for line in result.output.splitlines())


@needs_bwrap
@needs_python
async def test_sandboxed_command_has_no_network_unless_allowed(root: Path, listener: int) -> None:
    box = Toolbox(sandbox="bwrap")
    connect = (f"{SANDBOX_PYTHON} -c \"import socket; socket.create_connection(('127.0.0.1', {listener}), "
               "timeout=5); print('connected')\"")
    offline = await run(box, root, connect)
    assert offline.ok and offline.sandboxed is True
    assert "connected" not in offline.output.splitlines() and "ConnectionRefusedError" in offline.output
    online = await run(box, root, connect, allow_network=True)
    assert online.output.splitlines() == ["exit code: 0", "connected"]


@needs_bwrap
async def test_sandboxed_timeout_stops_background_children(root: Path) -> None:
    box = Toolbox(command_timeout=0.5, sandbox="bwrap")
    result = await run(box, root, "(while true; do echo x >> ticks; sleep 0.05; done) & echo started; wait")
    assert not result.ok and result.error == "Command timed out after 0.5 s and was stopped"
    assert result.sandboxed is True and "started" in result.output
    size = (root / "ticks").stat().st_size
    await asyncio.sleep(0.4)
    assert (root / "ticks").stat().st_size == size


# -- limits, in every mode ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_cpu_limit_stops_a_busy_loop(root: Path, mode: SandboxMode) -> None:
    box = Toolbox(command_timeout=30, cpu_seconds=1, sandbox=mode)
    started = time.monotonic()
    result = await run(box, root, f"{python(mode)} -c 'while True: pass'")
    assert time.monotonic() - started < 15
    assert not result.ok and result.sandboxed is (mode == "bwrap")
    assert result.error == "Command used more than its CPU time limit (1 s) and was stopped"
    assert result.output.startswith("exit code: 152\n")


@pytest.mark.parametrize("mode", MODES)
async def test_memory_limit_stops_a_big_allocation(root: Path, mode: SandboxMode) -> None:
    box = Toolbox(memory_mb=256, sandbox=mode)
    result = await run(box, root, f"{python(mode)} -c 'b = bytearray(2 * 1024**3); print(\"allocated\")'")
    assert result.ok and result.sandboxed is (mode == "bwrap")
    assert result.output.startswith("exit code: 1\n") and "MemoryError" in result.output
    assert "allocated" not in result.output


@pytest.mark.parametrize("mode", MODES)
async def test_file_size_limit_stops_a_big_write(root: Path, mode: SandboxMode) -> None:
    box = Toolbox(file_size_mb=1, sandbox=mode)
    result = await run(box, root, "head -c 3000000 /dev/zero > big.bin")
    assert not result.ok and result.sandboxed is (mode == "bwrap")
    assert result.error == "Command wrote a file larger than the limit (1 MB) and was stopped"
    assert (root / "big.bin").stat().st_size == 1024 * 1024


@pytest.mark.parametrize("mode", MODES)
async def test_timeout_and_output_cap_hold(root: Path, mode: SandboxMode) -> None:
    slow = await run(Toolbox(command_timeout=0.3, sandbox=mode), root, "sleep 30")
    assert not slow.ok and slow.error == "Command timed out after 0.3 s and was stopped"
    endless = await run(Toolbox(output_cap=1000, sandbox=mode), root, "yes")
    assert not endless.ok and "more than 16000 bytes of output" in (endless.error or "")
    assert endless.sandboxed is (mode == "bwrap") and len(endless.output) <= 1100


def test_limits_are_never_raised_and_nproc_is_not_set_for_root() -> None:
    limits = dict(Limits(cpu_seconds=5, memory_mb=100, file_size_mb=0, processes=50).rlimits())
    assert limits[resource.RLIMIT_CPU] == (5, 6) and limits[resource.RLIMIT_CORE] == (0, 0)
    assert limits[resource.RLIMIT_AS] == (100 * 1024 * 1024, 100 * 1024 * 1024)
    assert resource.RLIMIT_FSIZE not in limits
    assert (resource.RLIMIT_NPROC in limits) is (os.getuid() != 0)
    for which, (soft, hard) in limits.items():
        current = resource.getrlimit(which)[1]
        assert soft <= hard and (current == resource.RLIM_INFINITY or hard <= current)


# -- without bubblewrap ------------------------------------------------------------------------------------


async def test_off_never_sandboxes_and_says_so(root: Path) -> None:
    box = Toolbox(sandbox="off")
    assert box.sandbox_status() == {"mode": "off", "kind": "none",
                                    "reason": "the sandbox is off (THREADKEEP_SANDBOX=off)"}
    result = await run(box, root, "echo hi")
    assert result.ok and result.sandboxed is False and result.output == "exit code: 0\nhi\n"
    listed = await box.run("list_files", root, "{}")
    assert listed.sandboxed is None and listed.to_dict()["sandboxed"] is None


async def test_auto_falls_back_when_bubblewrap_does_not_work(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "bwrap"
    broken.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    broken.chmod(0o755)
    box = Toolbox(cpu_seconds=1)
    box.sandbox = Sandbox("auto", box.sandbox.limits, bwrap=str(broken))
    status = box.sandbox_status()
    assert status["kind"] == "none" and status["reason"].endswith("No permissions to create new namespace")
    result = await run(box, root, "echo made > made.txt")
    assert result.ok and result.sandboxed is False and (root / "made.txt").exists()
    busy = await run(box, root, f"{sys.executable} -c 'while True: pass'")
    assert not busy.ok and "CPU time limit" in (busy.error or "")


async def test_required_sandbox_refuses_commands_without_bubblewrap(root: Path, tmp_path: Path) -> None:
    box = Toolbox()
    box.sandbox = Sandbox("bwrap", bwrap=str(tmp_path / "no-such-bwrap"))
    assert box.sandbox_status()["reason"] == "bubblewrap (bwrap) is not installed"
    result = await run(box, root, "echo made > made.txt")
    assert not result.ok and result.sandboxed is None
    assert result.error == ("Commands are refused: the sandbox is required but bubblewrap (bwrap) is not "
                            "installed")
    assert not (root / "made.txt").exists()


# -- through a turn: the flag reaches the page live and after a reload ------------------------------------


async def test_a_turn_reports_whether_its_command_ran_sandboxed(chat: httpx.AsyncClient,  # noqa: F811
                                                                fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    call = ToolCall("call_1", "run_command", '{"command": "echo hi"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Done."]))
    sid = (await chat.post("/api/session/new", json={"workspace": str(ws)})).json()["session"]["session_id"]
    stream_id = await start(chat, sid, "say hi")
    await approve_next(chat, sid, "once")
    complete = named(await events(chat, stream_id), "tool_complete")[0]
    expected = _STATUS["kind"] == "bwrap"
    assert complete["ok"] is True and complete["sandboxed"] is expected
    assert complete["result"].startswith("exit code: 0\n")
    tool = (await transcript(chat, sid))[2]
    assert tool["role"] == "tool" and tool["sandboxed"] is expected
    assert tool["content"] == "exit code: 0\nhi\n"
    second_call = fake_openai.chat_requests()[1]["messages"]
    assert "sandboxed" not in second_call[-1]


@pytest.mark.skipif(_STATUS["kind"] != "bwrap", reason="bubblewrap does not work on this machine")
async def test_a_sessions_commands_reach_the_network_only_when_it_allows_it(
        chat: httpx.AsyncClient,  # noqa: F811
        fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    probe = f"python3 -c \\\"import socket; socket.create_connection(('127.0.0.1', {port}), 2); print('reached')\\\""
    ws = tmp_path / "ws"
    ws.mkdir()
    sid = (await chat.post("/api/session/new", json={"workspace": str(ws)})).json()["session"]["session_id"]
    outputs = []
    try:
        for allowed in (False, True):
            updated = await chat.post("/api/session/update", json={"session_id": sid, "allow_network": allowed})
            assert updated.json()["session"]["allow_network"] is allowed
            fake_openai.enqueue(Reply(text=[], tool_calls=[ToolCall(f"c{allowed}", "run_command",
                                                                    f'{{"command": "{probe}"}}')]),
                                Reply(text=["Done."]))
            stream_id = await start(chat, sid, "probe")
            await approve_next(chat, sid, "once")
            outputs.append(named(await events(chat, stream_id), "tool_complete")[0]["result"])
    finally:
        listener.close()
    assert "reached" not in outputs[0] and "reached" in outputs[1]
