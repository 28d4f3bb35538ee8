#!/usr/bin/env python3
"""Set up threadkeep in ./.venv from the locked requirements, then run it or its tests.

    python3 bootstrap.py serve [threadkeep serve options]   # the server on http://127.0.0.1:8787/
    python3 bootstrap.py test  [pytest options]             # every test

Needs only Python 3.11+. The virtual environment is (re)built when requirements.lock or pyproject.toml change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".threadkeep-stamp"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"threadkeep needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    fingerprint = _fingerprint()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    if not PYTHON.exists():
        print("bootstrap: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("bootstrap: installing locked dependencies (first run takes a minute or two)", flush=True)
    quiet = ["--quiet", "--disable-pip-version-check"]
    _run(PYTHON, "-m", "pip", "install", *quiet, "--require-virtualenv", "-r", ROOT / "requirements.lock")
    _run(PYTHON, "-m", "pip", "install", *quiet, "--no-deps", "-e", ROOT)
    STAMP.write_text(fingerprint)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "setup"):
        print(__doc__)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "serve":
        args = [str(PYTHON), "-m", "threadkeep", "serve", *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    if os.name == "nt":
        return subprocess.call(args, cwd=ROOT)
    os.chdir(ROOT)
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
