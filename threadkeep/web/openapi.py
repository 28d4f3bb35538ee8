"""The OpenAPI document as the server really answers: every error reply documented with its JSON shape.

Owns the post-processing of FastAPI's generated schema: validation errors are 400 here (never 422), every
operation lists the errors the layers in front of it can give (bad input, login, CSRF/scope/origin, unknown
or another user's object, conflicts, body limit, throttling), and path-level facts a generated client needs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "What went wrong, in words a person can act on"}},
    "required": ["error"],
    "additionalProperties": True,
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_WORDS = {
    "400": "Bad input: a missing or invalid parameter or body",
    "401": "Authentication required, the credential is not valid, or (login) a wrong username or password",
    "403": "Refused: cross-site request, missing CSRF token, a token scope or role that does not allow this",
    "404": "Not found: no such object, or one that belongs to another user",
    "405": "Method not allowed",
    "409": "Conflict with the current state (already exists, a turn is running, the last admin, ...)",
    "413": "Request body too large",
    "414": "URL too long",
    "429": "Too many attempts: wait for Retry-After seconds",
}
_REQUIRED = {"ImportSession": ["messages"]}
# Reachable without a login (the rest answer 401 when the server has logins).
PUBLIC = frozenset({"/health", "/api/auth/login", "/api/auth/status", "/api/auth/oidc/login",
                    "/api/auth/oidc/callback"})


def _errors_for(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400", "414"]
    if path not in PUBLIC:
        codes += ["401", "403"]
    if method != "get":
        codes += ["403", "409", "413"]
    if path not in ("/health", "/api/auth/status"):
        codes.append("404")
    if path == "/api/auth/login":
        codes += ["401", "429"]  # a wrong pair; the throttle
    return sorted(set(codes))


def build(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    for name, fields in _REQUIRED.items():  # checked by the handler, in hermes' words, but required all the same
        if name in components:
            components[name]["required"] = sorted({*components[name].get("required", []), *fields})
    login = components.get("Login", {})
    if app.state.settings.auth == "users" and "properties" in login:  # accounts: the name is not optional
        login["required"] = sorted({*login.get("required", []), "username"})
        login["properties"]["username"] = {"type": "string", "minLength": 1, "maxLength": 200}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for code in _errors_for(path, method, operation):
                responses.setdefault(code, {"description": _WORDS[code],
                                            "content": {"application/json": {"schema": _ERROR_REF}}})
    return schema


def install(app: FastAPI) -> None:
    """Serve the post-processed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
