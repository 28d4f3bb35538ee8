"""Workspace-scoped file access: every path a user or an agent gives is resolved inside one workspace.

Owns `Workspace` (resolve a relative path and refuse `..` escapes, absolute paths outside, symlinks that
lead out and NUL bytes; list, read text or bytes, save (optionally only over the version a client read: its
entity tag), create, mkdir, delete, rename, bounded text search)
and `FileAccessError` with its kinds. Reads may follow a link out of the workspace where the `links` policy
allows its target (hermes lets its page browse such links); writes never do. Methods block (file I/O):
async callers run them in a thread. Which directories may be workspaces at all is `roots`' concern.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..errors import ApiError

try:
    import fcntl
except ImportError:  # Windows: no flock; saves there are last-write-wins between the check and the replace
    fcntl = None  # type: ignore[assignment]

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".tox"})
SNIFF_BYTES = 8192
MAX_PATH_CHARS = 4096
MAX_DEPTH = 64
MAX_NAME_BYTES = 255
P = ParamSpec("P")
R = TypeVar("R")


class FileAccessError(ApiError):
    """A path or file operation inside a workspace is refused; the message says why."""

    status = 400


class FileMissing(FileAccessError):
    status = 404


class FileConflict(FileAccessError):
    status = 409


class FileTooLarge(FileAccessError):
    status = 413


class NotText(FileAccessError):
    status = 415


class FileChanged(FileAccessError):
    """A conditional save whose file is no longer the version the client read (`etag`: the current one)."""

    status = 412


# Which real paths outside the workspace a link may lead a reader to (None: none at all).
LinkPolicy = Callable[[Path], bool]


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    path: str  # relative to the workspace, with "/" (through the link, for what lies behind one)
    type: str  # "file" | "dir" | "symlink" | "other"
    size: int | None
    mtime: float | None
    target: str | None = None  # a symlink's real target
    is_dir: bool = False  # a symlink's target is a directory

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "path": self.path, "type": self.type, "size": self.size,
                               "mtime": self.mtime}
        if self.type == "symlink":
            out.update(target=self.target, is_dir=self.is_dir)
        return out


def etag_of(data: bytes) -> str:
    """A strong HTTP entity tag for a file's bytes: the same bytes give the same tag on every instance."""
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


def etag_matches(if_match: str, etag: str) -> bool:
    """RFC 9110 If-Match (strong comparison): `*` or one of the listed tags; a bare tag (a JSON field) counts."""
    for tag in (t.strip() for t in if_match.split(",")):
        if tag == "*" or tag == etag or (not tag.startswith(('"', "W/")) and f'"{tag}"' == etag):
            return True
    return False


@dataclass(frozen=True, slots=True)
class TextFile:
    path: str
    content: str
    size: int
    etag: str = ""

    def to_dict(self) -> dict[str, Any]:
        lines = self.content.count("\n") + 1 if self.content else 0
        return {"path": self.path, "content": self.content, "size": self.size, "lines": lines, "etag": self.etag}


@dataclass(frozen=True, slots=True)
class Match:
    path: str
    line: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True)
class SearchResult:
    matches: list[Match]
    files_scanned: int
    truncated: bool


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on a folder (flock: across processes on this host), where the OS has one."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def _guarded(method: Callable[Concatenate[Workspace, P], R]) -> Callable[Concatenate[Workspace, P], R]:
    """Any other OS-level failure of an operation becomes a FileAccessError, never a server error."""

    @functools.wraps(method)
    def wrapper(self: Workspace, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except FileAccessError:
            raise
        except OSError as exc:  # permissions, I/O errors, a parent that is a file...
            where = f": {args[0]}" if args and isinstance(args[0], str) else ""
            raise FileAccessError(f"{exc.strerror or exc}{where}") from None

    return wrapper


def _printable(name: str) -> str:
    """A file name that is not valid UTF-8 (surrogate-escaped bytes), shown with replacement marks."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _check_shape(rel: str) -> None:
    if "\x00" in rel:
        raise FileAccessError("Path contains a NUL character")
    if len(rel) > MAX_PATH_CHARS:
        raise FileAccessError(f"Path is longer than {MAX_PATH_CHARS} characters")
    parts = Path(rel).parts
    if len(parts) > MAX_DEPTH:
        raise FileAccessError(f"Path is nested deeper than {MAX_DEPTH} levels")
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in parts):
        raise FileAccessError(f"A name in the path is longer than {MAX_NAME_BYTES} bytes")


class Workspace:
    def __init__(self, root: str | Path, *, max_read_bytes: int = 2 * 1024 * 1024,
                 links: LinkPolicy | None = None) -> None:
        raw = str(root)
        if "\x00" in raw:
            raise FileAccessError("Workspace path contains a NUL character")
        try:
            self.root = Path(raw).resolve(strict=True)
        except (OSError, RuntimeError):
            raise FileMissing(f"Workspace does not exist: {raw}") from None
        if not self.root.is_dir():
            raise FileMissing(f"Workspace is not a directory: {raw}")
        self.max_read_bytes = max_read_bytes
        self.links = links

    # -- paths -------------------------------------------------------------------------------------

    def _inside(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents

    def resolve(self, rel: str) -> Path:
        """The real path of `rel` (symlinks followed), which must lie inside the workspace."""
        _check_shape(rel)
        candidate = Path(rel) if rel else Path(".")
        try:
            resolved = (self.root / candidate).resolve()  # an absolute `rel` replaces the root
        except (OSError, RuntimeError) as exc:  # e.g. a symlink loop
            raise FileAccessError(f"Path cannot be resolved: {rel} ({exc})") from None
        if not self._inside(resolved):
            why = ("is outside the workspace" if candidate.is_absolute() else "escapes the workspace"
                   if ".." in candidate.parts else "leads outside the workspace (link)")
            raise FileAccessError(f"Path {why}: {rel}")
        return resolved

    def resolve_for_reading(self, rel: str) -> Path:
        """As `resolve`, but a link inside the workspace may lead out to a target the `links` policy allows.
        `..` and absolute paths are judged on the path as written, so they still cannot leave the workspace."""
        _check_shape(rel)
        written = Path(os.path.normpath(self.root / rel)) if rel else self.root
        if self.links is None or not self._inside(written):
            return self.resolve(rel)
        try:
            resolved = (self.root / rel).resolve()
        except (OSError, RuntimeError) as exc:
            raise FileAccessError(f"Path cannot be resolved: {rel} ({exc})") from None
        if self._inside(resolved) or self.links(resolved):
            return resolved
        raise FileAccessError(f"Path leads outside the workspace (link): {rel}")

    def _entry_path(self, rel: str) -> Path:
        """`rel` with its parent resolved but its last component kept as is: delete and rename act on
        a symlink itself, not on what it points to."""
        _check_shape(rel)
        name = Path(rel).name
        if not rel.strip() or name in ("", ".", ".."):
            raise FileAccessError(f"Path does not name a file or directory: {rel!r}")
        target = self.resolve(str(Path(rel).parent)) / name
        if target == self.root:
            raise FileAccessError("The workspace root itself cannot be changed")
        return target

    def relative(self, path: Path) -> str:
        return "." if path == self.root else _printable(path.relative_to(self.root).as_posix())

    def entry(self, path: Path) -> Entry:
        rel, name = self.relative(path), _printable(path.name)
        try:
            if path.is_symlink() and not self._inside(path.resolve()):
                return Entry(name, rel, "other", None, None)  # says nothing about the outside
            st = path.stat()
        except (OSError, RuntimeError):  # dangling symlink, loop
            return Entry(name, rel, "other", None, None)
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
        return Entry(name, rel, kind, st.st_size if kind == "file" else None, st.st_mtime)

    def _existing(self, rel: str, *, reading: bool = False) -> Path:
        path = self.resolve_for_reading(rel) if reading else self.resolve(rel)
        if not path.exists():
            raise FileMissing(f"Not found: {rel}")
        return path

    @_guarded
    def file(self, rel: str) -> Path:
        """The real path of an existing regular file (for serving its bytes)."""
        path = self._existing(rel, reading=True)
        if not path.is_file():
            raise FileAccessError(f"Not a file: {rel}")
        return path

    # -- reading -----------------------------------------------------------------------------------

    @_guarded
    def list_dir(self, rel: str = ".", *, hidden: bool = False, limit: int = 1000) -> tuple[list[Entry], bool]:
        """Entries of a directory as hermes orders them: links, then directories, then files, each by name;
        (entries, truncated). A link that points back at this folder or one above it, or that leads where
        the `links` policy forbids (or cannot be resolved), is left out."""
        folder = self._existing(rel, reading=True)
        if not folder.is_dir():
            raise FileAccessError(f"Not a directory: {rel}")
        prefix = "" if rel in ("", ".") else rel.strip("/") + "/"
        entries: list[Entry] = []
        truncated = False
        for child in sorted(os.scandir(folder), key=lambda e: e.name.lower()):
            if not hidden and child.name.startswith("."):
                continue
            if len(entries) >= limit:
                truncated = True
                break
            entry = self._listed(folder, child, prefix + _printable(child.name))
            if entry is not None:
                entries.append(entry)
        entries.sort(key=lambda e: (e.type != "symlink", e.type != "dir", e.name.lower()))
        return entries, truncated

    def _listed(self, folder: Path, child: os.DirEntry[str], rel: str) -> Entry | None:
        name, path = _printable(child.name), folder / child.name
        if not child.is_symlink():
            try:
                st = path.stat()
            except OSError:
                return Entry(name, rel, "other", None, None)
            kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
            return Entry(name, rel, kind, st.st_size if kind == "file" else None, st.st_mtime)
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a loop
            return None
        if target in (folder, self.root) or target in folder.parents:
            return None  # a cycle: browsing it would never end
        if not self._inside(target) and (self.links is None or not self.links(target)):
            return None  # says nothing about what lies outside
        try:
            st = target.stat()
        except OSError:  # dangling
            return Entry(name, rel, "symlink", None, None, str(target), False)
        is_dir = stat.S_ISDIR(st.st_mode)
        return Entry(name, rel, "symlink", None if is_dir else st.st_size, st.st_mtime, str(target), is_dir)

    @_guarded
    def read_text(self, rel: str, *, max_bytes: int | None = None) -> TextFile:
        path, data = self._read(rel, max_bytes)
        if looks_binary(data[:SNIFF_BYTES]):
            raise NotText(f"{rel} is a binary file, not text")
        shown = self.relative(path) if self._inside(path) else rel  # behind a link: the path as asked
        return TextFile(shown, data.decode("utf-8", errors="replace"), len(data), etag_of(data))

    @_guarded
    def read_bytes(self, rel: str, *, max_bytes: int | None = None) -> bytes:
        return self._read(rel, max_bytes)[1]

    def _read(self, rel: str, max_bytes: int | None) -> tuple[Path, bytes]:
        path = self.file(rel)
        limit = self.max_read_bytes if max_bytes is None else max_bytes
        size = path.stat().st_size
        if size > limit:
            raise FileTooLarge(f"{rel} is too large ({size} bytes; the limit is {limit})")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat
        if len(data) > limit:
            raise FileTooLarge(f"{rel} is too large (over {limit} bytes)")
        return path, data

    # -- writing -----------------------------------------------------------------------------------

    @_guarded
    def save(self, rel: str, content: str | bytes, *, create: bool = True, overwrite: bool = True,
             if_match: str | None = None) -> Entry:
        """Write a file (parents created). `create=False`: it must exist; `overwrite=False`: it must not;
        `if_match` (an If-Match value): only over the version with that entity tag, else FileChanged."""
        path = self.resolve(rel)
        if path == self.root or path.is_dir():
            raise FileAccessError(f"Is a directory: {rel}")
        data = content.encode() if isinstance(content, str) else content
        exists = path.exists()
        if exists and not overwrite:
            raise FileConflict(f"File already exists: {rel}")
        if not exists and not create:
            raise FileMissing(f"Not found: {rel}")
        self._parents(path, rel)
        try:
            if exists:
                with _folder_lock(path.parent):  # the check and the replace, as one step for every writer
                    if if_match is not None:
                        current = etag_of(path.read_bytes())
                        if not etag_matches(if_match, current):
                            raise FileChanged(f"{rel} changed since it was read", etag=current)
                    self._replace(path, data)
            else:
                with open(path, "wb" if overwrite else "xb") as handle:  # xb: O_EXCL, no race
                    handle.write(data)
        except FileExistsError:
            raise FileConflict(f"File already exists: {rel}") from None
        return self.entry(path)

    @staticmethod
    def _parents(path: Path, rel: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise FileAccessError(f"A parent of {rel} is a file") from None

    @staticmethod
    def _replace(path: Path, data: bytes) -> None:
        """Replace an existing file via a temp file and rename, so a reader never sees half a file."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            shutil.copymode(path, tmp)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @_guarded
    def mkdir(self, rel: str) -> Entry:
        path = self.resolve(rel)
        if path.exists():
            raise FileConflict(f"Already exists: {rel}")
        self._parents(path, rel)
        try:
            path.mkdir()
        except FileExistsError:
            raise FileConflict(f"Already exists: {rel}") from None
        return self.entry(path)

    @_guarded
    def delete(self, rel: str, *, recursive: bool = False) -> None:
        path = self._entry_path(rel)
        if not path.is_symlink() and not path.exists():
            raise FileMissing(f"Not found: {rel}")
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        elif recursive:
            shutil.rmtree(path)
        elif any(path.iterdir()):
            raise FileAccessError(f"Directory is not empty: {rel}")
        else:
            path.rmdir()

    @_guarded
    def rename(self, src: str, dst: str) -> Entry:
        """Rename or move within the workspace; the destination must not exist."""
        source = self._entry_path(src)
        if not source.is_symlink() and not source.exists():
            raise FileMissing(f"Not found: {src}")
        target = self._entry_path(dst)
        if target.is_symlink() or target.exists():
            raise FileConflict(f"Already exists: {dst}")
        if source.is_dir() and not source.is_symlink() and (target == source or source in target.parents):
            raise FileAccessError(f"Cannot move {src} into itself")
        self._parents(target, dst)
        os.rename(source, target)
        return self.entry(target)

    # -- searching ---------------------------------------------------------------------------------

    @_guarded
    def search(self, query: str, rel: str = ".", *, regex: bool = False, case_sensitive: bool = False,
               glob: str | None = None, hidden: bool = False, max_files: int = 2000, max_matches: int = 200,
               max_file_bytes: int = 1024 * 1024) -> SearchResult:
        """Lines containing `query` (a literal, or a regular expression), walking below `rel`; skips
        binaries, big files, VCS and dependency directories; stops at `max_files` / `max_matches`."""
        if not query:
            raise FileAccessError("The search text is empty")
        flags = 0 if case_sensitive else re.IGNORECASE
        try:
            pattern = re.compile(query if regex else re.escape(query), flags)
        except re.error as exc:
            raise FileAccessError(f"Invalid regular expression: {exc}") from None
        start = self._existing(rel)
        if start.is_file():
            paths, truncated = [start], False
        else:
            paths, truncated = self._walk(start, glob, hidden, max_files)
        matches: list[Match] = []
        scanned = 0
        for path in paths:
            try:
                if not path.is_file() or path.stat().st_size > max_file_bytes:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if looks_binary(data[:SNIFF_BYTES]):
                continue
            scanned += 1
            for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
                if pattern.search(line[:4000]):
                    matches.append(Match(self.relative(path), number, line.strip()[:300]))
                    if len(matches) >= max_matches:
                        return SearchResult(matches, scanned, True)
        return SearchResult(matches, scanned, truncated)

    def _walk(self, start: Path, glob: str | None, hidden: bool, limit: int) -> tuple[list[Path], bool]:
        """Up to `limit` candidate files below `start`, and whether there were more (or the walk gave up:
        it looks at no more than 20 names per allowed file, so a huge tree is bounded too)."""
        found: list[Path] = []
        budget = limit * 20
        for folder, dirs, names in os.walk(start):  # does not descend into symlinked directories
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and (hidden or not d.startswith(".")))
            budget -= len(dirs) + len(names)
            if budget < 0:
                return found, True
            for name in sorted(names):
                if (not hidden and name.startswith(".")) or (glob and not fnmatch.fnmatch(name, glob)):
                    continue
                path = Path(folder) / name
                if path.is_symlink() and not self._inside(path.resolve()):
                    continue
                if len(found) >= limit:
                    return found, True
                found.append(path)
        return found, False
