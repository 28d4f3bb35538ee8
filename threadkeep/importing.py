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
from .store import Draft, SessionStore

BATCH = 200


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


def draft_from_document(doc: Any, default_workspace: str) -> Draft:
    """The session an export or a hermes session file describes (NotASession if it is neither)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise NotASession("not a session file (no messages list)")
    if "format" in doc and doc["format"] != EXPORT_FORMAT:
        raise NotASession(f"unknown export format {doc['format']!r}")
    session_id = doc.get("session_id")
    workspace = doc.get("workspace")
    if not isinstance(workspace, str) or not Path(workspace).is_dir():
        workspace = default_workspace
    tokens = {k: _number(doc.get(k)) for k in ("input_tokens", "output_tokens")}
    return Draft(
        workspace=workspace,
        title=_text(doc.get("title")),
        model=_text(doc.get("model")),
        profile=_text(doc.get("profile")),
        pinned=bool(doc.get("pinned", False)),
        archived=bool(doc.get("archived", False)),
        messages=parse_messages(doc["messages"]),
        tool_calls=doc.get("tool_calls") if isinstance(doc.get("tool_calls"), list) else None,
        session_id=session_id if isinstance(session_id, str) and valid_session_id(session_id) else None,
        created_at=_number(doc.get("created_at")),
        updated_at=_number(doc.get("updated_at")),
        input_tokens=int(tokens["input_tokens"] or 0),
        output_tokens=int(tokens["output_tokens"] or 0),
        estimated_cost=_number(doc.get("estimated_cost")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _read(path: Path, default_workspace: str) -> Draft | Outcome:
    try:
        return draft_from_document(orjson.loads(path.read_bytes()), default_workspace)
    except NotASession as exc:
        return Outcome(path, "skipped", str(exc))
    except (OSError, orjson.JSONDecodeError, MessageError) as exc:
        return Outcome(path, "failed", str(exc))


async def _import_batch(store: SessionStore, paths: list[Path], default_workspace: str) -> list[Outcome]:
    """One transaction for a batch of files: fast for a big hermes sessions/ directory."""
    outcomes: list[Outcome] = []
    drafts: list[tuple[Path, Draft]] = []
    for path in paths:
        read = _read(path, default_workspace)
        if isinstance(read, Outcome):
            outcomes.append(read)
        else:
            drafts.append((path, read))
    result = await store.create_many([d for _, d in drafts])
    for path, draft in drafts:
        status = result.get(draft.session_id or "", "failed")
        detail = {"created": "", "present": "already present", "deleted": "was deleted here; not restored"}
        outcomes.append(Outcome(path, "imported" if status == "created" else status, detail.get(status, "")))
    return outcomes


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
            for start in range(0, len(files), BATCH):
                batch = files[start : start + BATCH]
                outcomes += await _import_batch(store, batch, str(settings.default_workspace))
                progress.advance(task, len(batch))
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
