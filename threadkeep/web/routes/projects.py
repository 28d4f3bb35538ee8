"""Project routes: list, create, rename (and recolour), delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from ...errors import NOT_BLANK, BadRequest
from ..responses import JsonReply, reply
from .deps import Body, Projects

router = APIRouter(tags=["projects"])

Name = Annotated[str, Field(max_length=200)]
Color = Annotated[str, Field(max_length=32, pattern=r"^(#[0-9A-Fa-f]{3,8}|[a-z]{1,20})$")]


class CreateProject(Body):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
    color: Color | None = None


class RenameProject(Body):
    project_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)] | None = None
    color: Color | None = None


class ProjectRef(Body):
    project_id: Annotated[str, Field(min_length=1, max_length=64)]


def _name(raw: str | None) -> str | None:
    if raw is None:
        return None
    name = raw.strip()
    if not name:
        raise BadRequest("name must not be empty")
    return name


@router.get("/api/projects")
async def list_projects(projects: Projects) -> JsonReply:
    return reply({"projects": [p.to_dict() for p in await projects.list()]})


@router.post("/api/projects/create")
async def create_project(body: CreateProject, projects: Projects) -> JsonReply:
    project = await projects.create(_name(body.name) or "", body.color)
    return reply({"ok": True, "project": project.to_dict()})


@router.post("/api/projects/rename")
async def rename_project(body: RenameProject, projects: Projects) -> JsonReply:
    project = await projects.rename(body.project_id, _name(body.name), body.color)
    return reply({"ok": True, "project": project.to_dict()})


@router.post("/api/projects/delete")
async def delete_project(body: ProjectRef, projects: Projects) -> JsonReply:
    await projects.delete(body.project_id)
    return reply({"ok": True})
