"""A user's workspace book: the workspaces they saved (hermes' workspace panel) and where they worked last.

Owns the `saved_workspaces` table (the last workspace itself is a preference, kept by `auth.preferences`) and
the rules around it: which paths a user may save (`roots.resolve_addable`), which one a new session starts in,
and that a saved workspace may be used even outside the configured roots. A `WorkspaceBook` acts for one user
and never sees another's entries. Filesystem checks block briefly; they are stat calls, not I/O on content.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.preferences import Preferences
from ..db.database import Conn, Database
from ..db.schema import saved_workspaces
from ..errors import BadRequest, NotFound
from ..settings import Settings
from .roots import WorkspaceError, resolve_addable, resolve_workspace

HOME_NAME = "Home"  # hermes' name for the entry a user who saved nothing sees
MAX_SUGGESTIONS = 12


@dataclass(frozen=True, slots=True)
class SavedWorkspace:
    path: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name}


class WorkspaceBook:
    def __init__(self, db: Database, settings: Settings, user_id: str) -> None:
        self.db = db
        self.settings = settings
        self.user_id = user_id
        self.preferences = Preferences(db, user_id)

    # -- the saved list -------------------------------------------------------------------------------

    @property
    def home(self) -> SavedWorkspace:
        return SavedWorkspace(str(self.settings.user_workspace(self.user_id).resolve()), HOME_NAME)

    async def _rows(self, conn: Conn) -> list[SavedWorkspace]:
        query = (select(saved_workspaces.c.path, saved_workspaces.c.name)
                 .where(saved_workspaces.c.owner_id == self.user_id)
                 .order_by(saved_workspaces.c.position, saved_workspaces.c.id))
        return [SavedWorkspace(r.path, r.name) for r in await conn.execute(query)]

    async def saved(self) -> list[SavedWorkspace]:
        """What the user saved, in their order, without folders that no longer exist (as hermes shows it)."""
        async with self.db.read() as conn:
            rows = await self._rows(conn)
        return [w for w in rows if os.path.isdir(w.path)]

    async def entries(self) -> list[SavedWorkspace]:
        """The list hermes' page shows: what was saved, or the user's own workspace as `Home` when nothing was."""
        return await self.saved() or [self.home]

    async def _materialise_home(self, conn: Conn) -> None:
        """A first change to an empty list acts on the list the user saw, which held `Home` (hermes does too)."""
        count = (await conn.execute(select(func.count()).select_from(saved_workspaces)
                                    .where(saved_workspaces.c.owner_id == self.user_id))).scalar_one()
        if count == 0:
            home = self.home
            Path(home.path).mkdir(parents=True, exist_ok=True)
            await conn.execute(insert(saved_workspaces), [{"owner_id": self.user_id, "path": home.path,
                                                           "name": home.name, "position": 0,
                                                           "created_at": time.time()}])

    async def add(self, raw: str, name: str = "", *, create: bool = False) -> list[SavedWorkspace]:
        """Save a directory (checked: exists, is a directory, not a system one; with accounts, under the
        user's own folder). 400 when it is already in the list."""
        roots = self.settings.workspace_roots_for(self.user_id) if self.settings.multi_user else None
        path = str(resolve_addable(raw, roots, create=create))
        try:
            async with self.db.write() as conn:
                await self._materialise_home(conn)
                existing = await conn.execute(select(saved_workspaces.c.id).where(
                    saved_workspaces.c.owner_id == self.user_id, saved_workspaces.c.path == path))
                if existing.first() is not None:
                    raise BadRequest("Workspace already in list")
                last = (await conn.execute(select(func.max(saved_workspaces.c.position))
                                           .where(saved_workspaces.c.owner_id == self.user_id))).scalar()
                await conn.execute(insert(saved_workspaces), [{
                    "owner_id": self.user_id, "path": path, "name": name.strip() or Path(path).name or path,
                    "position": (last or 0) + 1, "created_at": time.time()}])
        except IntegrityError:  # the same path saved at the same moment by another request
            raise BadRequest("Workspace already in list") from None
        return await self.entries()

    async def remove(self, path: str) -> list[SavedWorkspace]:
        """Forget a saved workspace (its folder is untouched); removing one that is not saved is no error."""
        async with self.db.write() as conn:
            await self._materialise_home(conn)
            await conn.execute(delete(saved_workspaces).where(saved_workspaces.c.owner_id == self.user_id,
                                                              saved_workspaces.c.path == path))
        return await self.entries()

    async def rename(self, path: str, name: str) -> list[SavedWorkspace]:
        async with self.db.write() as conn:
            await self._materialise_home(conn)
            done = await conn.execute(update(saved_workspaces)
                                      .where(saved_workspaces.c.owner_id == self.user_id,
                                             saved_workspaces.c.path == path)
                                      .values(name=name.strip() or Path(path).name or path))
            if done.rowcount == 0:
                raise NotFound("Workspace not found")
        return await self.entries()

    # -- which workspace a session uses ---------------------------------------------------------------

    async def resolve(self, raw: str) -> str:
        """`raw` as a workspace for one of this user's sessions: under their roots, or one they saved."""
        async with self.db.read() as conn:
            saved = {Path(w.path) for w in await self._rows(conn)}
        return str(resolve_workspace(raw, self.settings.workspace_roots_for(self.user_id), saved))

    async def for_new_session(self, raw: str | None) -> str:
        """The workspace a new session gets: the one asked for, else the last one used (while it is still
        acceptable), else the default workspace set in the preferences, else the user's own (made if missing)."""
        if raw is not None:
            return await self.resolve(raw)
        settings = await self.preferences.load()
        for candidate in (await self.preferences.last_workspace(), settings.get("default_workspace")):
            if isinstance(candidate, str) and candidate:
                try:
                    return await self.resolve(candidate)
                except WorkspaceError:
                    continue
        home = self.settings.user_workspace(self.user_id)
        home.mkdir(parents=True, exist_ok=True)
        return str(home)

    async def last(self) -> str:
        """The last workspace used, as hermes reports it (the user's own workspace before any was)."""
        last = await self.preferences.last_workspace()
        return last if last and os.path.isdir(last) else self.home.path

    async def remember(self, path: str) -> None:
        """`path` (already resolved) becomes the last workspace used."""
        await self.preferences.set_last_workspace(path)

    # -- suggestions ----------------------------------------------------------------------------------

    async def trusted_roots(self) -> list[Path]:
        """Where suggestions may look: the user's roots and their saved workspaces, shortest first."""
        roots: list[Path] = []
        for candidate in [*self.settings.workspace_roots_for(self.user_id),
                          *(Path(w.path) for w in await self.saved())]:
            if candidate.is_dir() and candidate not in roots:
                roots.append(candidate)
        return sorted(roots, key=lambda p: len(str(p)))

    async def suggest(self, prefix: str, *, hidden: bool = False) -> list[str]:
        return suggest(await self.trusted_roots(), prefix, hidden=hidden)


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def suggest(roots: list[Path], prefix: str, *, hidden: bool = False, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Directories completing `prefix`, looked up under the trusted `roots` only: the roots that start
    with it, then the children of its folder when that lies in a root. Hidden folders when asked, or when
    the typed name starts with a dot (hermes)."""
    raw = prefix.strip()
    if not raw:
        return [str(r) for r in roots[:limit]]
    if "\x00" in raw:
        return []
    try:
        target = Path(raw).expanduser() if raw.startswith("~") else Path(raw)
    except RuntimeError:
        return []
    if not target.is_absolute():
        target = Path.home() / raw
    out: list[str] = [str(r) for r in roots if str(r).lower().startswith(str(target).lower())]
    ends_with_sep = raw.endswith(("/", os.sep))
    parent, leaf = (target, "") if ends_with_sep else (target.parent, target.name)
    try:
        folder = parent.resolve()
    except (OSError, RuntimeError):
        return out[:limit]
    if not any(_within(folder, root) for root in roots) or not folder.is_dir():
        return out[:limit]
    show_hidden = hidden or leaf.startswith(".")
    try:
        children = sorted(os.scandir(folder), key=lambda e: e.name.lower())
    except OSError:
        return out[:limit]
    for child in children:
        if len(out) >= limit:
            break
        if (child.name.startswith(".") and not show_hidden) or not child.name.lower().startswith(leaf.lower()):
            continue
        try:
            if not child.is_dir():
                continue
            resolved = Path(child.path).resolve()
        except (OSError, RuntimeError):
            continue
        # A link out of the trusted roots is not suggested: its target is outside what may be shown.
        if any(_within(resolved, root) for root in roots) and str(resolved) not in out:
            out.append(str(resolved))
    return out[:limit]
