"""What handlers take from the request: the app's runtime objects, validated ids and JSON bodies.

Owns the shared request plumbing for every route module: the acting user (put on the request by
`web.authn`), the stores that act for that user (so no handler can reach another user's rows), settings,
session-id validation (400 for an id that could never be one), and the base model for JSON bodies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ...auth.principal import Principal
from ...errors import NOT_BLANK, BadRequest, Unauthorized
from ...sessions.messages import ROLES
from ...sessions.projects import ProjectStore
from ...sessions.search import SessionSearch
from ...sessions.session import valid_session_id
from ...sessions.store import SessionStore, SessionStores
from ...settings import Settings


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


def check_session_id(value: str) -> str:
    if not valid_session_id(value):
        raise BadRequest("session_id is not a valid session id")
    return value


SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # sessions.session.valid_session_id, as the schema says it
SessionId = Annotated[str, Field(min_length=1, max_length=64, pattern=SESSION_ID_PATTERN)]
NotBlank = Annotated[str, Field(min_length=1, pattern=NOT_BLANK)]


def _whole(value: Any) -> Any:
    """3.0 is the whole number 3 (JSON has one number type); 3.5, "3" and true stay what they are: refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(ge: int, le: int) -> Any:
    """A whole number from `ge` to `le` in a JSON body (bodies are otherwise strict). The bounds come before the
    validator, so the OpenAPI schema shows them as minimum/maximum."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_whole)]


# The most an INTEGER column holds on PostgreSQL (seq, message_count): a larger count or seq in a request is a
# 400, never the driver's overflow (a 500).
INT32_MAX = 2**31 - 1
Count = whole_number(0, INT32_MAX)
# What one message in a body looks like (`sessions.messages.Message.from_dict` has the last word).
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"enum": sorted(ROLES)},
        "content": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "null"}]},
        "tool_calls": {"anyOf": [{"type": "array"}, {"type": "null"}]},
    },
}
Messages = Annotated[list[Any], Field(json_schema_extra={"items": MESSAGE_SCHEMA})]


class SessionRef(Body):
    session_id: SessionId


async def get_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only public routes run without one, and they do not ask for it
        raise Unauthorized("Authentication required")
    return principal


async def get_store(principal: Annotated[Principal, Depends(get_principal)], request: Request) -> SessionStore:
    stores: SessionStores = request.app.state.sessions
    return stores.of(principal.user_id)


async def get_search(principal: Annotated[Principal, Depends(get_principal)], request: Request) -> SessionSearch:
    return SessionSearch(request.app.state.db, principal.user_id)


async def get_projects(principal: Annotated[Principal, Depends(get_principal)], request: Request) -> ProjectStore:
    return ProjectStore(request.app.state.db, principal.user_id)


async def get_roots(principal: Annotated[Principal, Depends(get_principal)], request: Request) -> list[Path]:
    settings: Settings = request.app.state.settings
    return settings.workspace_roots_for(principal.user_id)


async def client_ip(request: Request) -> str | None:
    ip: str | None = getattr(request.state, "client_ip", None)
    return ip


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def session_id_param(
    session_id: Annotated[str, Query(min_length=1, max_length=64, pattern=SESSION_ID_PATTERN)],
) -> str:
    return session_id


Me = Annotated[Principal, Depends(get_principal)]
Store = Annotated[SessionStore, Depends(get_store)]
Roots = Annotated[list[Path], Depends(get_roots)]
Search = Annotated[SessionSearch, Depends(get_search)]
Projects = Annotated[ProjectStore, Depends(get_projects)]
AppSettings = Annotated[Settings, Depends(get_settings)]
QuerySessionId = Annotated[str, Depends(session_id_param)]
