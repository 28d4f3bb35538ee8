"""What handlers take from the request: the app's runtime objects, validated ids and JSON bodies.

Owns the shared request plumbing for every route module: dependency getters for the store, search,
projects and settings, session-id validation (400 for an id that could never be one), and the base
model for JSON bodies (strict types, unknown keys ignored).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...errors import BadRequest
from ...sessions.projects import ProjectStore
from ...sessions.search import SessionSearch
from ...sessions.session import valid_session_id
from ...sessions.store import SessionStore
from ...settings import Settings


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


def check_session_id(value: str) -> str:
    if not valid_session_id(value):
        raise BadRequest("session_id is not a valid session id")
    return value


SessionId = Annotated[str, Field(min_length=1, max_length=200)]


class SessionRef(Body):
    session_id: SessionId


async def get_store(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.store
    return store


async def get_search(request: Request) -> SessionSearch:
    search: SessionSearch = request.app.state.search
    return search


async def get_projects(request: Request) -> ProjectStore:
    projects: ProjectStore = request.app.state.projects
    return projects


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def session_id_param(session_id: Annotated[str | None, Query(max_length=200)] = None) -> str:
    if session_id is None or session_id == "":
        raise BadRequest("session_id is required")
    return check_session_id(session_id)


Store = Annotated[SessionStore, Depends(get_store)]
Search = Annotated[SessionSearch, Depends(get_search)]
Projects = Annotated[ProjectStore, Depends(get_projects)]
AppSettings = Annotated[Settings, Depends(get_settings)]
QuerySessionId = Annotated[str, Depends(session_id_param)]
