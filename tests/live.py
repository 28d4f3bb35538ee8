"""A real `threadkeep serve` subprocess on a free port, the way users run it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Starts, stops, kills and restarts one server with a fixed data dir and port."""

    def __init__(self, data_dir: Path, port: int | None = None, *, env: dict[str, str] | None = None,
                 database_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "THREADKEEP_WORKSPACE_ROOTS": json.dumps([str(self.data_dir)]),
               "THREADKEEP_ACCESS_LOG": "false", **self.extra_env}
        cmd = [sys.executable, "-m", "threadkeep", "serve", "--port", str(self.port),
               "--data-dir", str(self.data_dir)]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"threadkeep serve exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=1) as reply:
                    if json.loads(reply.read()).get("status") == "ok":
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"threadkeep serve did not answer /health in {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """kill -9: no shutdown handlers run."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
