"""Reading sessions in from files, and the CLI's export: our export files and hermes-webui session files.

Owns recognising a file (a threadkeep export, or a hermes-webui `<id>.json` session file; hermes' `_*.json`
index files and JSON without a messages list are skipped), mapping it onto the store (a batch of sessions per
transaction, the original id kept so a re-import is idempotent, a deleted id never resurrected), recreating
the projects the sessions belong to, and the progress bar and summary. The shapes themselves: `exporting`.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import StatementError

from .. import jsoncodec
from ..db.database import Database
from ..db.migrate import upgrade
from ..db.schema import LOCAL_USER_ID
from ..errors import ApiError
from ..settings import Settings
from .exporting import EXPORT_FORMAT, export_document, markdown
from .messages import Message, MessageError, parse_messages, timestamp
from .projects import Project, ProjectStore
from .session import valid_session_id
from .store import Draft, SessionStore

BATCH = 200  # sessions per transaction: a 10,000-file hermes directory is 50 commits, not 10,000
DETAILS_SHOWN = 20  # per kind of problem; the rest are counted
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class NotASession(ValueError):
    """The file is JSON but not a session we know how to read."""


@dataclass(slots=True)
class Outcome:
    path: Path
    status: str  # imported | present | deleted | skipped | failed
    detail: str = ""


@dataclass(slots=True)
class Item:
    path: Path
    draft: Draft


def session_files(paths: list[Path]) -> list[Path]:
    """Every candidate file: files as given; a directory's `*.json` (not hermes' `_*` index files).

    A hermes state directory (one holding `sessions/`) stands for its `sessions/` directory.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            folder = path / "sessions" if (path / "sessions").is_dir() else path
            found += sorted(p for p in folder.glob("*.json") if not p.name.startswith("_") and p.is_file())
        else:
            found.append(path)
    return found


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: Any) -> int:
    """A token count: a number within what a BIGINT column holds, else 0."""
    number = _number(value)
    return int(number) if number is not None and 0 <= number < 2**62 else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def project_from(item: Any) -> Project | None:
    """A project as hermes' projects.json or our export's `project` object describes it (None if unusable)."""
    if not isinstance(item, dict):
        return None
    project_id = item.get("project_id")
    if not isinstance(project_id, str) or not _PROJECT_ID.match(project_id):
        return None
    name = item.get("name")
    try:
        created = timestamp(item.get("created_at"), "created_at") or time.time()
        updated = timestamp(item.get("updated_at"), "updated_at") or created
    except MessageError:
        return None
    return Project(
        project_id=project_id,
        name=name.strip() if isinstance(name, str) and name.strip() else project_id,
        color=_text(item.get("color")),
        created_at=created,
        updated_at=updated,
    )


class ProjectCatalog:
    """The projects the imported files describe: hermes' projects.json beside a `sessions/` directory, and
    the `project` object of our exports. Read once per hermes state directory."""

    def __init__(self) -> None:
        self.known: dict[str, Project] = {}
        self._read: set[Path] = set()

    def add(self, item: Any) -> None:
        project = project_from(item)
        if project is not None:
            self.known.setdefault(project.project_id, project)

    def note_hermes_file(self, session_file: Path) -> None:
        if session_file.parent.name != "sessions":
            return
        source = session_file.parent.parent / "projects.json"
        if source in self._read:
            return
        self._read.add(source)
        try:
            items = orjson.loads(source.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if isinstance(items, dict):  # tolerate {"projects": [...]}
            items = items.get("projects")
        for item in items if isinstance(items, list) else []:
            self.add(item)


def _date_messages(messages: list[Message], raw: list[Any], fallback: float) -> None:
    """Messages keep hermes' `timestamp` (or its older `_ts`); undated ones get the session's last activity
    time, a microsecond apart, the way hermes stamps them, instead of the moment of the import."""
    undated = 0
    for i, (message, item) in enumerate(zip(messages, raw, strict=True)):
        if _number(item.get("timestamp")) is not None:
            continue
        ts = timestamp(item.get("_ts"), f"messages[{i}]._ts")
        if ts is not None:
            message.created_at = ts
        else:
            message.created_at = fallback + undated * 1e-6
            undated += 1


def _pending_user_message(doc: dict[str, Any], messages: list[Message]) -> Message | None:
    """A hermes session saved mid-turn holds the user's message in `pending_user_message`, not in messages."""
    pending = doc.get("pending_user_message")
    if not isinstance(pending, str) or not pending.strip():
        return None
    last_user = next((m for m in reversed(messages) if m.role == "user"), None)
    if last_user is not None and last_user.text.strip() == pending.strip():
        return None
    started = timestamp(doc.get("pending_started_at"), "pending_started_at")
    return Message(role="user", content=pending, created_at=started or time.time())


def draft_from_document(doc: Any, default_workspace: str) -> Draft:
    """The session an export or a hermes session file describes (NotASession if it is neither)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise NotASession("not a session file (no messages list)")
    if "format" in doc and doc["format"] != EXPORT_FORMAT:
        raise NotASession(f"unknown export format {doc['format']!r}")
    created, updated = timestamp(doc.get("created_at"), "created_at"), timestamp(doc.get("updated_at"), "updated_at")
    messages = parse_messages(doc["messages"])
    _date_messages(messages, doc["messages"], updated or created or time.time())
    pending = _pending_user_message(doc, messages)
    if pending is not None:
        messages.append(pending)
    session_id, project_id, workspace = doc.get("session_id"), doc.get("project_id"), doc.get("workspace")
    if not isinstance(workspace, str) or not Path(workspace).is_dir():
        workspace = default_workspace
    return Draft(
        workspace=workspace,
        title=_text(doc.get("title")),
        model=_text(doc.get("model")),
        profile=_text(doc.get("profile")),
        project_id=project_id if isinstance(project_id, str) and _PROJECT_ID.match(project_id) else None,
        pinned=bool(doc.get("pinned", False)),
        archived=bool(doc.get("archived", False)),
        messages=messages,
        tool_calls=doc.get("tool_calls") if isinstance(doc.get("tool_calls"), list) else None,
        session_id=session_id if isinstance(session_id, str) and valid_session_id(session_id) else None,
        created_at=created,
        updated_at=updated,
        input_tokens=_count(doc.get("input_tokens")),
        output_tokens=_count(doc.get("output_tokens")),
        estimated_cost=_number(doc.get("estimated_cost")),
    )


# What a database may say about one bad row: a driver error, or a value the driver cannot even send.
_REFUSED = (StatementError, OverflowError)


def _db_reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]


class Importer:
    """Turns files into sessions, a batch at a time; remembers ids across batches to report duplicates."""

    def __init__(self, store: SessionStore, projects: ProjectStore, default_workspace: str) -> None:
        self.store = store
        self.projects = projects
        self.default_workspace = default_workspace
        self.catalog = ProjectCatalog()
        self.seen: dict[str, Path] = {}

    def read(self, path: Path) -> Item | Outcome:
        try:
            doc = jsoncodec.loads(path.read_bytes())
            draft = draft_from_document(doc, self.default_workspace)
        except NotASession as exc:
            return Outcome(path, "skipped", str(exc))
        except jsoncodec.JsonRefused as exc:
            return Outcome(path, "failed", f"the file {exc}")
        except (OSError, MessageError) as exc:
            return Outcome(path, "failed", str(exc))
        if "project" in doc:
            self.catalog.add(doc["project"])
        else:
            self.catalog.note_hermes_file(path)
        return Item(path, draft)

    async def batch(self, paths: list[Path]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        items: list[Item] = []
        for path in paths:
            read = self.read(path)
            if isinstance(read, Outcome):
                outcomes.append(read)
                continue
            sid = read.draft.session_id
            if sid is not None and sid in self.seen:
                outcomes.append(Outcome(path, "present", f"same session id as {self.seen[sid]}"))
                continue
            if sid is not None:
                self.seen[sid] = path
            items.append(read)
        return outcomes + await self._create(items)

    async def _create(self, items: list[Item]) -> list[Outcome]:
        wanted = {i.draft.project_id for i in items if i.draft.project_id}
        existing, made = await self.projects.adopt(wanted, self.catalog.known)
        for item in items:
            if item.draft.project_id not in existing:
                item.draft.project_id = None  # a project nobody describes: the session comes in without one
        outcomes = await self._create_sessions(items)
        used = {i.draft.project_id for i, o in zip(items, outcomes, strict=True) if o.status == "imported"}
        for project_id in made - used:  # made only for sessions that were already here or deleted
            await self.projects.delete(project_id)
        return outcomes

    async def _create_sessions(self, items: list[Item]) -> list[Outcome]:
        """All in one transaction; if the database refuses that, one by one so one bad file fails alone."""
        try:
            statuses = await self.store.create_many([i.draft for i in items])
        except _REFUSED:
            if len(items) == 1:
                raise
            return [o for item in items for o in await self._create_sessions_alone(item)]
        return [_outcome(item, statuses.get(item.draft.session_id or "", "failed")) for item in items]

    async def _create_sessions_alone(self, item: Item) -> list[Outcome]:
        try:
            return await self._create_sessions([item])
        except _REFUSED as exc:
            return [Outcome(item.path, "failed", f"database refused it: {_db_reason(exc)}")]


def _outcome(item: Item, status: str) -> Outcome:
    if status == "created":
        return Outcome(item.path, "imported")
    if status == "present":
        return Outcome(item.path, "present", "already present")
    if status == "deleted":
        return Outcome(item.path, "deleted", f"session {item.draft.session_id} was deleted here; not restored")
    return Outcome(item.path, "failed", "not stored")


def _report(console: Console, outcomes: list[Outcome]) -> Counter[str]:
    counts = Counter(o.status for o in outcomes)
    shown: Counter[str] = Counter()
    for o in outcomes:
        if o.status in ("failed", "deleted", "skipped"):
            shown[o.status] += 1
            if shown[o.status] <= DETAILS_SHOWN:
                console.print(f"  {o.status}: {o.path}: {o.detail}", markup=False, highlight=False)
    for status, count in shown.items():
        if count > DETAILS_SHOWN:
            console.print(f"  ... and {count - DETAILS_SHOWN} more {status}")
    console.print(
        f"imported {counts['imported']}, already present {counts['present']}, "
        f"deleted (not restored) {counts['deleted']}, skipped {counts['skipped']}, failed {counts['failed']}",
        highlight=False,
    )
    return counts


async def import_paths(settings: Settings, paths: list[Path], owner: str = LOCAL_USER_ID) -> int:
    """The `threadkeep import` command: returns the exit code (0 unless a file failed, 2 for a bad path)."""
    console = Console(stderr=True, soft_wrap=True)
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"error: no such file or directory: {', '.join(map(str, missing))}", markup=False)
        return 2
    files = session_files(paths)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    workspace = settings.user_workspace(owner)
    workspace.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    outcomes: list[Outcome] = []
    try:
        await upgrade(db)
        importer = Importer(SessionStore(db, owner), ProjectStore(db, owner), str(workspace))
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("import", total=len(files))
            for start in range(0, len(files), BATCH):
                batch = files[start : start + BATCH]
                outcomes += await importer.batch(batch)
                progress.advance(task, len(batch))
    finally:
        await db.dispose()
    counts = _report(console, outcomes)
    return 1 if counts["failed"] else 0


async def export_session(settings: Settings, session_id: str, fmt: str, output: Path | None,
                         owner: str = LOCAL_USER_ID) -> int:
    """The `threadkeep export` command: returns the exit code."""
    console = Console(stderr=True, soft_wrap=True)
    if not valid_session_id(session_id):
        console.print(f"error: {session_id!r} is not a valid session id", markup=False)
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        await upgrade(db)
        page = await SessionStore(db, owner).page_of_messages(session_id)
        project = await ProjectStore(db, owner).find(page.session.project_id)
    except ApiError as exc:
        console.print(f"error: {exc.message}: {session_id}", markup=False)
        return 1
    finally:
        await db.dispose()
    if fmt == "md":
        data = markdown(page.session, page.messages, project).encode()
    else:
        doc = export_document(page.session, page.messages, project)
        data = orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        output.write_bytes(data)
    except OSError as exc:
        console.print(f"error: cannot write {output}: {exc.strerror or exc}", markup=False)
        return 1
    console.print(f"wrote {output} ({len(page.messages)} messages)", markup=False, highlight=False)
    return 0

