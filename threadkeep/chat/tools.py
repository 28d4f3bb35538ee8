"""The agent's tools in a session's workspace: list_files, read_file, write_file, search_files, run_command.

Owns each tool's OpenAI function spec, argument checking and run (on top of `files.Workspace`), the
command runner (cwd = workspace, timeout, output cap, process group killed, no secrets in its env; the
process itself is started by `sandbox`) and `Toolbox`, the set a turn uses. A tool never raises: bad
arguments and refused paths come back as a failed `ToolResult`. Whether a call may run (approval) is the
turn runner's and `approvals`' concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..workspace.files import FileAccessError, Workspace
from .sandbox import Limits, Sandbox, SandboxMode, SandboxUnavailable

APPROVAL_TOOLS = frozenset({"write_file", "run_command"})
# Environment variables never passed to commands the agent runs.
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION)", re.I)
_SECRET_PREFIXES = ("THREADKEEP_", "OPENAI_", "ANTHROPIC_", "AWS_", "DATABASE_URL", "REDIS_URL", "PG")
_DRAIN_FACTOR = 20  # output beyond cap x this and the command is stopped


def needs_approval(tool_name: str) -> bool:
    """True for tools that change the workspace or run programs."""
    return tool_name in APPROVAL_TOOLS


@dataclass(frozen=True, slots=True)
class ToolResult:
    ok: bool
    output: str
    error: str | None = None
    duration_ms: int = 0
    sandboxed: bool | None = None  # whether a command ran under bubblewrap; None for the other tools

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "output": self.output, "error": self.error, "duration_ms": self.duration_ms,
                "sandboxed": self.sandboxed}


@dataclass(frozen=True, slots=True)
class CommandRun:
    """What `run_command` hands back: the output (exit code line first) and whether it ran sandboxed."""

    output: str
    sandboxed: bool


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ListArgs(_Args):
    path: str = Field(".", description="Directory relative to the workspace root.")
    hidden: bool = Field(False, description="Include names starting with a dot.")


class ReadArgs(_Args):
    path: str = Field(description="File relative to the workspace root.")
    offset: int = Field(1, ge=1, description="First line to return (1-based).")
    limit: int | None = Field(None, ge=1, description="How many lines to return (default: all).")


class WriteArgs(_Args):
    path: str = Field(description="File relative to the workspace root; parent directories are created.")
    content: str = Field(description="The complete new content of the file.")


class SearchArgs(_Args):
    query: str = Field(min_length=1, description="Text to look for (a regular expression if regex is true).")
    path: str = Field(".", description="Directory or file to search, relative to the workspace root.")
    regex: bool = Field(False, description="Treat query as a regular expression.")
    glob: str | None = Field(None, description="Only files whose name matches this pattern, e.g. *.py.")
    case_sensitive: bool = Field(False, description="Match upper and lower case exactly.")


class CommandArgs(_Args):
    command: str = Field(min_length=1, description="A shell command, run with the workspace as cwd.")
    timeout: float | None = Field(None, gt=0, description="Seconds before it is stopped (server-capped).")


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        if prop.get("default", 0) is None:
            del prop["default"]
        if "anyOf" in prop:  # `int | None` -> the non-null type, optional
            kinds = [p for p in prop.pop("anyOf") if p.get("type") != "null"]
            prop.update(kinds[0] if kinds else {})
    schema["additionalProperties"] = False
    return schema


_Runner = Callable[[Workspace, Any, bool], Awaitable[str | CommandRun]]


class Toolbox:
    """The tools a turn offers the model, with the server's limits (commands: see `sandbox.Limits`)."""

    def __init__(self, *, command_timeout: float = 60.0, output_cap: int = 30_000,
                 max_read_bytes: int = 2 * 1024 * 1024, sandbox: SandboxMode = "auto",
                 cpu_seconds: int = 120, memory_mb: int = 4096, file_size_mb: int = 1024,
                 max_processes: int = 0) -> None:
        self.command_timeout = command_timeout
        self.output_cap = output_cap
        self.max_read_bytes = max_read_bytes
        self.sandbox = Sandbox(sandbox, Limits(cpu_seconds=cpu_seconds, memory_mb=memory_mb,
                                               file_size_mb=file_size_mb, processes=max_processes))
        self._tools: dict[str, tuple[str, type[_Args], _Runner]] = {
            "list_files": ("List the files and directories in a workspace directory.", ListArgs,
                           self._list),
            "read_file": ("Read a text file from the workspace (optionally a range of lines).", ReadArgs,
                          self._read),
            "write_file": ("Create or overwrite a text file in the workspace.", WriteArgs, self._write),
            "search_files": ("Search the text files of the workspace for lines containing a string.",
                             SearchArgs, self._search),
            "run_command": ("Run a shell command in the workspace directory and return its output "
                            "(stdout and stderr) and exit code.", CommandArgs, self._command),
        }

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[dict[str, Any]]:
        """OpenAI function specs: [{"type": "function", "function": {name, description, parameters}}]."""
        return [{"type": "function", "function": {"name": name, "description": description,
                                                  "parameters": _schema(model)}}
                for name, (description, model, _) in self._tools.items()]

    def needs_approval(self, tool_name: str) -> bool:
        return needs_approval(tool_name)

    def sandbox_status(self) -> dict[str, str]:
        """How commands run here: {"mode", "kind": "bwrap" | "none", "reason"} (probes bubblewrap once)."""
        return self.sandbox.status()

    async def run(self, name: str, workspace: str | Path, arguments_json: str, *,
                  allow_network: bool = False) -> ToolResult:
        """Run one tool call; every failure is a result with `ok=False` and an `error`, never a raise.
        `allow_network` lets a sandboxed command use the network (unsandboxed ones always can)."""
        started = time.monotonic()

        def done(ok: bool, output: str, error: str | None = None, sandboxed: bool | None = None) -> ToolResult:
            return ToolResult(ok, self._cap(output), error, int((time.monotonic() - started) * 1000), sandboxed)

        tool = self._tools.get(name)
        if tool is None:
            return done(False, "", f"Unknown tool: {name}. Available: {', '.join(self._tools)}")
        _, model, runner = tool
        try:
            raw = orjson.loads(arguments_json or "{}")
        except orjson.JSONDecodeError as exc:
            return done(False, "", f"Arguments are not valid JSON: {exc}")
        if not isinstance(raw, dict):
            return done(False, "", "Arguments must be a JSON object")
        try:
            args = model.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "arguments"
            return done(False, "", f"Invalid arguments for {name}: {where}: {first['msg']}")
        try:
            ws = await asyncio.to_thread(Workspace, workspace, max_read_bytes=self.max_read_bytes)
            out = await runner(ws, args, allow_network)
        except FileAccessError as exc:
            return done(False, "", exc.message)
        except SandboxUnavailable as exc:
            return done(False, "", str(exc))
        except _CommandFailed as exc:
            return done(False, exc.output, exc.message, exc.sandboxed)
        except OSError as exc:
            return done(False, "", f"{name} failed: {exc.strerror or exc}")
        if isinstance(out, CommandRun):
            return done(True, out.output, sandboxed=out.sandboxed)
        return done(True, out)

    def _cap(self, text: str) -> str:
        if len(text) <= self.output_cap:
            return text
        more = len(text) - self.output_cap
        return text[: self.output_cap] + f"\n[output truncated: {more} more characters]"

    # -- the tools ---------------------------------------------------------------------------------

    async def _list(self, ws: Workspace, args: ListArgs, _network: bool) -> str:
        entries, truncated = await asyncio.to_thread(ws.list_dir, args.path, hidden=args.hidden, limit=500)
        lines = [f"{e.path}/" if e.type == "dir" else f"{e.path}  ({e.size} bytes)" if e.size is not None
                 else e.path for e in entries]
        if truncated:
            lines.append("[more entries not shown]")
        return "\n".join(lines) if lines else "(empty directory)"

    async def _read(self, ws: Workspace, args: ReadArgs, _network: bool) -> str:
        text = (await asyncio.to_thread(ws.read_text, args.path)).content
        if args.offset == 1 and args.limit is None:
            return text
        lines = text.splitlines(keepends=True)
        end = None if args.limit is None else args.offset - 1 + args.limit
        return "".join(lines[args.offset - 1 : end])

    async def _write(self, ws: Workspace, args: WriteArgs, _network: bool) -> str:
        def write() -> str:
            existed = ws.resolve(args.path).exists()
            entry = ws.save(args.path, args.content)
            return f"{'Overwrote' if existed else 'Created'} {entry.path} ({entry.size} bytes)"

        return await asyncio.to_thread(write)

    async def _search(self, ws: Workspace, args: SearchArgs, _network: bool) -> str:
        result = await asyncio.to_thread(ws.search, args.query, args.path, regex=args.regex,
                                         case_sensitive=args.case_sensitive, glob=args.glob)
        lines = [f"{m.path}:{m.line}: {m.text}" for m in result.matches]
        if result.truncated:
            lines.append("[more matches not shown: narrow the search]")
        return "\n".join(lines) if lines else f"No matches in {result.files_scanned} files."

    async def _command(self, ws: Workspace, args: CommandArgs, allow_network: bool) -> CommandRun:
        timeout = min(args.timeout or self.command_timeout, self.command_timeout)
        # Room for the exit code line and the truncation note within the tool's output cap.
        cap = max(100, self.output_cap - 200)
        return await run_command(args.command, ws.root, timeout=timeout, output_cap=cap, sandbox=self.sandbox,
                                 allow_network=allow_network)


class _CommandFailed(Exception):
    def __init__(self, message: str, output: str, sandboxed: bool) -> None:
        super().__init__(message)
        self.message = message
        self.output = output
        self.sandboxed = sandboxed


def command_env(root: Path) -> dict[str, str]:
    """The server's environment without anything that looks like a secret, cwd set to the workspace."""
    env = {k: v for k, v in os.environ.items()
           if not _SECRET_NAME.search(k) and not k.startswith(_SECRET_PREFIXES)}
    env["PWD"] = str(root)
    return env


async def run_command(command: str, root: Path, *, timeout: float, output_cap: int, sandbox: Sandbox,
                      allow_network: bool = False) -> CommandRun:
    """Run `command` in a shell in its own process group, started by `sandbox`; its combined output (first
    `output_cap` bytes) and exit code. When the shell exits, background children it left are killed with
    the group; so is everything on timeout, or on output beyond cap x 20. A command stopped by a CPU or
    file size limit is a failure saying so."""
    proc, sandboxed = await sandbox.spawn(command, root, command_env(root), allow_network=allow_network)
    kept = bytearray()
    total = 0
    limit = output_cap * _DRAIN_FACTOR

    async def collect(stream: asyncio.StreamReader) -> None:
        nonlocal total
        while chunk := await stream.read(65536):
            total += len(chunk)
            if len(kept) < output_cap:
                kept.extend(chunk[: output_cap - len(kept)])
            if total > limit:
                return

    def text() -> str:
        out = kept.decode("utf-8", errors="replace")
        return out + (f"\n[output truncated: {total - len(kept)} more bytes]" if total > len(kept) else "")

    async def exited() -> None:
        # Not proc.wait(): that also waits for the output pipe to close, which a background child of
        # the shell can hold open for ever. The return code is set as soon as the shell exits.
        delay = 0.005
        while proc.returncode is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    assert proc.stdout is not None
    reader = asyncio.ensure_future(collect(proc.stdout))
    waiter = asyncio.ensure_future(exited())
    try:
        async with asyncio.timeout(timeout):
            await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if total > limit:
                raise _CommandFailed(f"Command produced more than {limit} bytes of output and was stopped",
                                     text(), sandboxed)
            # The shell is done (or closed its output): take what is left in the pipe, but do not wait
            # for background children that still hold it open.
            if not waiter.done():
                await asyncio.wait({waiter})
            await asyncio.wait({reader}, timeout=0.5)
    except TimeoutError:
        raise _CommandFailed(f"Command timed out after {timeout:g} s and was stopped", text(), sandboxed) from None
    finally:
        reader.cancel()
        waiter.cancel()
        await _stop(proc)
    output = f"exit code: {proc.returncode}\n{text()}"
    if (stopped := sandbox.limits.exceeded(proc.returncode)) is not None:
        raise _CommandFailed(stopped, output, sandboxed)
    return CommandRun(output, sandboxed)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Kill the command's whole process group (it may have started children), then reap it. The output
    pipe is read to its end first: a pipe paused on a full buffer never reports the close that `wait()`
    waits for, and sandboxed processes die a moment after bwrap. A process that left the group may hold
    the pipe open: that is given up after a second."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.stdout is not None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                while await proc.stdout.read(65536):
                    pass
    if proc.returncode is None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), timeout=5)
