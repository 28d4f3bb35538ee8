"""Workspace directories: which paths a session may use as its workspace, and which may be saved.

Owns the validation hermes-webui users expect (the path must exist, be a directory, not be a system
directory, and lie under an allowed root or be one of the user's saved workspaces), each refusal with a
message that says why. File access inside a workspace (tools, file endpoints) is a separate concern.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
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


def resolve_workspace(raw: str, roots: list[Path], saved: Collection[Path] = ()) -> Path:
    """The canonical workspace path for `raw`, or a WorkspaceError saying why it cannot be one. A path in
    `saved` (the user's saved workspaces, themselves checked when added) is accepted outside the roots."""
    path = _existing_dir(raw)
    reason = _system_reason(path)
    inside_root = any(_is_within(path, root) for root in roots)
    if reason and not any(path != root and _is_within(path, root) for root in roots):
        raise WorkspaceError(reason)
    if not inside_root and path not in saved:
        allowed = ", ".join(str(r) for r in roots)
        raise WorkspaceError(f"Workspace is outside the allowed roots ({allowed}) and not a saved workspace: {raw}")
    return path


def resolve_addable(raw: str, roots: list[Path] | None, *, create: bool = False) -> Path:
    """The canonical path of a directory a user wants to save as a workspace: any directory that is not a
    system one (hermes), or with `roots` (accounts) only one under them. `create` makes it first."""
    if create:
        _make(raw, roots)
    path = _existing_dir(raw)
    if roots is not None and any(_is_within(path, root) for root in roots):
        return path  # the user's own folder, even where that is below a system tree
    reason = _system_reason(path)
    if reason:
        raise WorkspaceError(reason)
    if roots is not None:
        allowed = ", ".join(str(r) for r in roots)
        raise WorkspaceError(f"Workspace must be under your own folder ({allowed}): {raw}")
    return path


def _make(raw: str, roots: list[Path] | None) -> None:
    """mkdir -p for `create`, refused before touching the disk where the result could never be saved."""
    try:
        path = Path(raw).expanduser()
    except RuntimeError:
        raise WorkspaceError(f"Workspace does not exist: {raw}") from None
    if "\x00" in raw or not path.is_absolute():
        raise WorkspaceError(f"Workspace path must be absolute: {raw}")
    path = path.resolve()
    inside = roots is not None and any(_is_within(path, root) for root in roots)
    if not inside and (reason := _system_reason(path)):
        raise WorkspaceError(reason)
    if roots is not None and not inside:
        raise WorkspaceError(f"Workspace must be under your own folder: {raw}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"Could not create directory: {exc.strerror or exc}") from None


def _existing_dir(raw: str) -> Path:
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
    return path


def link_policy(roots: list[Path] | None) -> Callable[[Path], bool]:
    """Where a link inside a workspace may lead someone browsing it: with accounts (`roots` given) only into
    the user's own roots, so no link shows another user's files or the server's; with one user anywhere
    but a system tree (hermes lets its page follow such links, and hides links into /etc, /usr, ...)."""
    if roots is not None:
        allowed = list(roots)
        return lambda target: any(_is_within(target, root) for root in allowed)
    return lambda target: not any(_is_within(target, Path(tree)) for tree in _SYSTEM_TREES)
