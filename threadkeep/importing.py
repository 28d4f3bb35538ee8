"""Reading sessions in from files, and the CLI's export: our export files and hermes-webui session files.

Owns recognising a file (a threadkeep export, or a hermes-webui `<id>.json` session file; hermes' `_*.json`
index files are skipped), mapping it onto the store's `create` verb (one transaction per session, the
original id kept so a re-import is idempotent, a deleted id never resurrected) and the progress display.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .database import Database
from .errors import ApiError
from .exporting import EXPORT_FORMAT, export_document, markdown
from .messages import MessageError, parse_messages
from .migrate import upgrade
from .sessions import valid_session_id
from .settings import Settings
from .store import SessionDeleted, SessionExists, SessionStore


class NotASession(ValueError):
    """The file is JSON but not a session we know how to read."""


@dataclass(slots=True)
class Outcome:
    path: Path
    status: str  # imported | present | deleted | skipped | failed
    detail: str = ""


def session_files(paths: list[Path]) -> list[Path]:
    """Every candidate file under `paths`: files as given, directories' `*.json` (not hermes' `_*` files)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.json") if not p.name.startswith("_") and p.is_file())
        else:
            found.append(path)
    return found


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


async def import_document(store: SessionStore, doc: Any, default_workspace: str) -> str:
    """Create one session from a parsed export or hermes session; returns its id."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise NotASession("not a session file (no messages list)")
    if "format" in doc and doc["format"] != EXPORT_FORMAT:
        raise NotASession(f"unknown export format {doc['format']!r}")
    session_id = doc.get("session_id")
    if not isinstance(session_id, str) or not valid_session_id(session_id):
        session_id = None
    workspace = doc.get("workspace")
    if not isinstance(workspace, str) or not Path(workspace).is_dir():
        workspace = default_workspace
    messages = parse_messages(doc["messages"])
    created = await store.create(
        workspace=workspace,
        title=doc.get("title") if isinstance(doc.get("title"), str) else None,
        model=doc.get("model") if isinstance(doc.get("model"), str) else None,
        profile=doc.get("profile") if isinstance(doc.get("profile"), str) else None,
        pinned=bool(doc.get("pinned", False)),
        archived=bool(doc.get("archived", False)),
        messages_=messages,
        tool_calls=doc.get("tool_calls") if isinstance(doc.get("tool_calls"), list) else None,
        session_id=session_id,
        created_at=_number(doc.get("created_at")),
    )
    totals = {}
    for key in ("input_tokens", "output_tokens", "estimated_cost"):
        value = _number(doc.get(key))
        if value and value > getattr(created, key):
            totals[key] = int(value) if key != "estimated_cost" else value
    updated_at = _number(doc.get("updated_at"))
    if updated_at:
        totals["updated_at"] = updated_at
    if totals:
        await store.restore_fields(created.id, **totals)
    return created.id


async def _import_one(store: SessionStore, path: Path, default_workspace: str) -> Outcome:
    try:
        doc = orjson.loads(path.read_bytes())
        session_id = await import_document(store, doc, default_workspace)
        return Outcome(path, "imported", session_id)
    except SessionExists as exc:
        return Outcome(path, "present", exc.message)
    except SessionDeleted as exc:
        return Outcome(path, "deleted", exc.message)
    except NotASession as exc:
        return Outcome(path, "skipped", str(exc))
    except (OSError, orjson.JSONDecodeError, MessageError, ApiError) as exc:
        return Outcome(path, "failed", str(exc))


async def import_paths(settings: Settings, paths: list[Path]) -> int:
    """The `threadkeep import` command: returns the exit code (0 unless a file failed)."""
    console = Console(stderr=True)
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]error:[/red] no such file or directory: {', '.join(map(str, missing))}")
        return 2
    files = session_files(paths)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.default_workspace.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    outcomes: list[Outcome] = []
    try:
        await upgrade(db)
        store = SessionStore(db)
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            task = progress.add_task("import", total=len(files))
            for path in files:
                outcomes.append(await _import_one(store, path, str(settings.default_workspace)))
                progress.advance(task)
    finally:
        await db.dispose()
    counts = Counter(o.status for o in outcomes)
    for o in outcomes:
        if o.status in ("failed", "deleted", "skipped"):
            console.print(f"  {o.status}: {o.path}: {o.detail}")
    console.print(
        f"imported {counts['imported']}, already present {counts['present']}, "
        f"deleted (not restored) {counts['deleted']}, skipped {counts['skipped']}, failed {counts['failed']}"
    )
    return 1 if counts["failed"] else 0


async def export_session(settings: Settings, session_id: str, fmt: str, output: Path | None) -> int:
    """The `threadkeep export` command: returns the exit code."""
    console = Console(stderr=True)
    if not valid_session_id(session_id):
        console.print(f"[red]error:[/red] {session_id!r} is not a valid session id")
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    try:
        await upgrade(db)
        page = await SessionStore(db).page_of_messages(session_id)
    except ApiError as exc:
        console.print(f"[red]error:[/red] {exc.message}: {session_id}")
        return 1
    finally:
        await db.dispose()
    if fmt == "md":
        data = markdown(page.session, page.messages).encode()
    else:
        data = orjson.dumps(export_document(page.session, page.messages), option=orjson.OPT_INDENT_2) + b"\n"
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        console.print(f"wrote {output}")
    return 0
