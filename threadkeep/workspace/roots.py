"""Workspace directories: which paths a session may use as its workspace.

Owns the validation hermes-webui users expect (the path must exist, be a directory, not be a system
directory, and lie under an allowed root), each refusal with a message that says why. File access inside
a workspace (tools, file endpoints) is a separate concern.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BadRequest

# Directories (and everything under them) that are never a workspace.
_SYSTEM_TREES = ("/etc", "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/boot", "/dev", "/proc", "/sys",
                 "/run", "/var", "/opt", "/srv", "/snap", "/System", "/Library", "/private/etc")
# Directories that are refused themselves, though a subdirectory may be fine.
_SYSTEM_ROOTS = ("/", "/home", "/Users", "/tmp", "/root", "/mnt", "/media", "C:\\", "C:\\Windows")


class WorkspaceError(BadRequest):
    """A path given as a workspace is not acceptable; the message says why."""


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _system_reason(path: Path) -> str | None:
    text = str(path)
    if any(text == p for p in _SYSTEM_ROOTS):
        return f"Workspace cannot be the system directory {text}"
    for tree in _SYSTEM_TREES:
        if _is_within(path, Path(tree)):
            return f"Workspace cannot be inside the system directory {tree}"
    windir = os.environ.get("SYSTEMROOT")
    if windir and _is_within(path, Path(windir)):
        return f"Workspace cannot be inside the system directory {windir}"
    return None


def resolve_workspace(raw: str, roots: list[Path]) -> Path:
    """The canonical workspace path for `raw`, or a WorkspaceError saying why it cannot be one."""
    if not raw.strip():
        raise WorkspaceError("Workspace path is empty")
    if "\x00" in raw:
        raise WorkspaceError("Workspace path contains a NUL character")
    try:
        path = Path(raw).expanduser()
    except RuntimeError:  # "~someone" for a user this machine does not know
        raise WorkspaceError(f"Workspace does not exist: {raw}") from None
    if not path.is_absolute():
        raise WorkspaceError(f"Workspace path must be absolute: {raw}")
    try:
        path = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise WorkspaceError(f"Workspace does not exist: {raw}") from None
    except OSError as exc:
        raise WorkspaceError(f"Workspace cannot be read: {raw} ({exc.strerror})") from None
    if not path.is_dir():
        raise WorkspaceError(f"Workspace is not a directory: {raw}")
    reason = _system_reason(path)
    inside_root = any(_is_within(path, root) for root in roots)
    if reason and not any(path != root and _is_within(path, root) for root in roots):
        raise WorkspaceError(reason)
    if not inside_root:
        allowed = ", ".join(str(r) for r in roots)
        raise WorkspaceError(f"Workspace must be under an allowed root ({allowed}): {raw}")
    return path
