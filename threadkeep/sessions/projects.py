"""Projects: named, coloured groups that sessions can be moved into.

Owns the `projects` table. A `ProjectStore` acts for one user and sees only that user's projects. Deleting a
project leaves its sessions in place, without a project (the foreign key's ON DELETE SET NULL does that).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from ..db.database import Database
from ..db.schema import projects
from ..errors import NotFound

PROJECT_NOT_FOUND = "Project not found"


@dataclass(slots=True)
class Project:
    project_id: str
    name: str
    color: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> Project:
        return cls(row.id, row.name, row.color, row.created_at, row.updated_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProjectStore:
    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def of(self, owner: str) -> ProjectStore:
        return ProjectStore(self.db, owner)

    async def list(self) -> list[Project]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(projects).where(projects.c.owner_id == self.owner)
                                      .order_by(projects.c.created_at, projects.c.id))
            return [Project.from_row(r) for r in rows]

    async def get(self, project_id: str) -> Project:
        async with self.db.read() as conn:
            query = select(projects).where(projects.c.id == project_id, projects.c.owner_id == self.owner)
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(PROJECT_NOT_FOUND)
        return Project.from_row(row)

    async def find(self, project_id: str | None) -> Project | None:
        """The project, or None when there is no id or no such project of this user (an export's lookup)."""
        if project_id is None:
            return None
        try:
            return await self.get(project_id)
        except NotFound:
            return None

    async def create(self, name: str, color: str | None = None) -> Project:
        now = time.time()
        project = Project(secrets.token_hex(6), name, color, now, now)
        async with self.db.write() as conn:
            row = {"id": project.project_id, "owner_id": self.owner, "name": name, "color": color,
                   "created_at": now, "updated_at": now}
            await conn.execute(insert(projects), [row])
        return project

    async def adopt(self, wanted: Collection[str], known: Mapping[str, Project]) -> tuple[set[str], set[str]]:
        """For an import: create the `wanted` projects that `known` describes and are not here yet (ids kept).

        Returns (ids that exist now, ids just created); a wanted id neither here nor known is in neither, and
        so is an id another user holds (the import's sessions then come in without that project).
        """
        if not wanted:
            return set(), set()
        async with self.db.write() as conn:
            query = select(projects.c.id, projects.c.owner_id).where(projects.c.id.in_(sorted(wanted)))
            taken = {r.id: r.owner_id for r in await conn.execute(query)}
            have = {pid for pid, owner in taken.items() if owner == self.owner}
            adopted = [p for pid in sorted(set(wanted) - set(taken)) if (p := known.get(pid)) is not None]
            if adopted:
                rows = [{"id": p.project_id, "owner_id": self.owner, "name": p.name, "color": p.color,
                         "created_at": p.created_at, "updated_at": p.updated_at} for p in adopted]
                await conn.execute(insert(projects), rows)
        created = {p.project_id for p in adopted}
        return have | created, created

    async def rename(self, project_id: str, name: str | None, color: str | None = None) -> Project:
        values: dict[str, Any] = {"updated_at": time.time()}
        if name is not None:
            values["name"] = name
        if color is not None:
            values["color"] = color
        async with self.db.write() as conn:
            query = (update(projects).where(projects.c.id == project_id, projects.c.owner_id == self.owner)
                     .values(**values).returning(*projects.c))
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(PROJECT_NOT_FOUND)
        return Project.from_row(row)

    async def delete(self, project_id: str) -> bool:
        """Delete a project; its sessions stay, unassigned. True if it existed."""
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(projects).where(projects.c.id == project_id, projects.c.owner_id == self.owner))
            return bool(result.rowcount)
