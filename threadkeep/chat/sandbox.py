"""Where the agent's shell commands run: under bubblewrap when it works here, else plainly; rlimits either way.

Owns the choice (`auto` | `bwrap` | `off`, bubblewrap probed once per `Sandbox`), the `bwrap` arguments (the
system read-only, a fresh /tmp, the workspace read-write, no network unless asked, nothing else of the host)
and the per-process resource limits set in the child before exec. Not the command's output, wall-clock
timeout or kill: `tools.run_command` does those on the process started here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

SandboxMode = Literal["auto", "bwrap", "off"]
_MB = 1024 * 1024
# Top-level system directories shown read-only (as the symlinks they are on merged-/usr systems).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Hidden although /etc is shown (reading them fails): when the server runs as root, the sandboxed command
# is root too.
_MASKED = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
_PROBE_TIMEOUT = 10.0


class SandboxUnavailable(Exception):
    """The sandbox is required (`bwrap`) but bubblewrap does not work here: the command is refused."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-process resource limits on a command and everything it starts; 0 means no limit.

    `processes` (RLIMIT_NPROC) counts every process of the server's user, not only the command's, and the
    kernel does not apply it to root; so it is off by default and never set when the server runs as root.
    """

    cpu_seconds: int = 120
    memory_mb: int = 4096
    file_size_mb: int = 1024
    processes: int = 0

    def rlimits(self) -> list[tuple[int, tuple[int, int]]]:
        """(resource, (soft, hard)) pairs to set, each no higher than this process's own hard limit."""
        wanted = [(resource.RLIMIT_CORE, 0, 0)]  # a SIGXCPU/SIGXFSZ kill leaves no core file in the workspace
        if self.cpu_seconds:
            # SIGXCPU at the limit; SIGKILL a second later for a process that ignores it.
            wanted.append((resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 1))
        if self.memory_mb:
            wanted.append((resource.RLIMIT_AS, self.memory_mb * _MB, self.memory_mb * _MB))
        if self.file_size_mb:
            wanted.append((resource.RLIMIT_FSIZE, self.file_size_mb * _MB, self.file_size_mb * _MB))
        if self.processes and os.getuid() != 0:
            wanted.append((resource.RLIMIT_NPROC, self.processes, self.processes))
        out = []
        for which, soft, hard in wanted:
            _, current = resource.getrlimit(which)
            if current != resource.RLIM_INFINITY:
                hard = min(hard, current)
            out.append((which, (min(soft, hard), hard)))
        return out

    def exceeded(self, returncode: int | None) -> str | None:
        """Why a command with this exit status was stopped by a limit, or None. A shell reports a child
        killed by signal N as 128 + N, so both forms count."""
        if returncode is None:
            return None
        if self.cpu_seconds and returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return f"Command used more than its CPU time limit ({self.cpu_seconds} s) and was stopped"
        if self.file_size_mb and returncode in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ):
            return f"Command wrote a file larger than the limit ({self.file_size_mb} MB) and was stopped"
        return None

    def preexec(self) -> Callable[[], None]:
        """The function run in the child between fork and exec: only setrlimit calls (no locks, no imports)."""
        pairs = self.rlimits()

        def apply() -> None:
            for which, values in pairs:
                resource.setrlimit(which, values)

        return apply


class Sandbox:
    """How commands are started: `auto` uses bubblewrap when it works here and says so when it does not;
    `bwrap` refuses to run commands without it; `off` never uses it."""

    def __init__(self, mode: SandboxMode = "auto", limits: Limits | None = None, *,
                 bwrap: str | None = None) -> None:
        self.mode = mode
        self.limits = limits or Limits()
        self._bwrap = bwrap if bwrap is not None else shutil.which("bwrap") or ""
        self._status: dict[str, str] | None = None

    def status(self) -> dict[str, str]:
        """{"mode", "kind": "bwrap" | "none", "reason"}; the first call probes bubblewrap (a few ms)."""
        if self._status is None:
            self._status = self._probe()
            if self._status["kind"] == "none" and self.mode != "off":
                log.warning("agent commands %s: %s", "are refused" if self.mode == "bwrap" else "run unsandboxed",
                            self._status["reason"])
        return dict(self._status)

    async def spawn(self, command: str, root: Path, env: dict[str, str], *,
                    allow_network: bool = False) -> tuple[asyncio.subprocess.Process, bool]:
        """Start `sh -c command` in `root` (its own process group, output on one pipe, limits applied);
        the process and whether it runs sandboxed. Raises SandboxUnavailable when `bwrap` is required."""
        status = self._status if self._status is not None else await asyncio.to_thread(self.status)
        sandboxed = status["kind"] == "bwrap"
        if not sandboxed and self.mode == "bwrap":
            raise SandboxUnavailable(f"Commands are refused: the sandbox is required but {status['reason']}")
        argv = ["/bin/sh", "-c", command]
        if sandboxed:
            argv = [*self.bwrap_args(root, allow_network=allow_network), "--", *argv]
            # The host's home is not visible inside; the fresh /tmp is writable.
            env = {**env, "HOME": "/tmp", "TMPDIR": "/tmp"}
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=root, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True, preexec_fn=self.limits.preexec())
        return proc, sandboxed

    def bwrap_args(self, root: Path | None, *, allow_network: bool = False) -> list[str]:
        """The `bwrap` command line up to (not including) `--` and the command."""
        args = [self._bwrap]
        for path in _SYSTEM:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        args += [a for path in _MASKED if os.path.exists(path) for a in ("--ro-bind", "/dev/null", path)]
        args += ["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
        if allow_network:
            # /etc/resolv.conf may point into /run (systemd-resolved): show its target for DNS.
            resolv = os.path.realpath("/etc/resolv.conf")
            if not resolv.startswith("/etc/"):
                args += ["--ro-bind-try", resolv, resolv]
        if root is not None:
            args += ["--bind", str(root), str(root), "--chdir", str(root)]
        args += ["--unshare-all", *(["--share-net"] if allow_network else []), "--die-with-parent", "--new-session"]
        return args

    def _probe(self) -> dict[str, str]:
        def none(reason: str) -> dict[str, str]:
            return {"mode": self.mode, "kind": "none", "reason": reason}

        if self.mode == "off":
            return none("the sandbox is off (THREADKEEP_SANDBOX=off)")
        if not self._bwrap or not os.access(self._bwrap, os.X_OK):
            return none("bubblewrap (bwrap) is not installed")
        try:
            probe = subprocess.run([*self.bwrap_args(None), "--", "true"], capture_output=True, text=True,
                                   timeout=_PROBE_TIMEOUT, preexec_fn=self.limits.preexec(), check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return none(f"bwrap does not work here: {exc}")
        if probe.returncode != 0:
            said = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
            return none(f"bwrap does not work here: {said}")
        return {"mode": self.mode, "kind": "bwrap", "reason": f"commands run under {self._bwrap}"}
