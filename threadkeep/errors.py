"""Domain errors and how every failure becomes a JSON `{"error": ...}` reply.

Owns the exception types the store and handlers raise (each with its HTTP status) and the exception
handlers installed by `create_app`: bad input is a clear 4xx, an unexpected failure a logged 500 with a
generic message, never a traceback on the wire.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .web.responses import reply

log = logging.getLogger("threadkeep.errors")

# A JSON-schema pattern (unanchored, as JSON Schema and pydantic read it): at least one non-space character.
NOT_BLANK = r"\S"


class ApiError(Exception):
    """An error a client caused or must know about; `status` is its HTTP status."""

    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Forbidden(ApiError):
    status = 403


class Unauthorized(ApiError):
    status = 401


class TooManyRequests(ApiError):
    """Slow down: `retry_after` (seconds) goes out as the Retry-After header too."""

    status = 429


class PayloadTooLarge(ApiError):
    status = 413


def error_response(status: int, message: str, **extra: Any) -> Response:
    return reply({"error": message, **extra}, status)


def _describe_validation(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    where = ".".join(loc) or "request"
    kind = first.get("type", "")
    if not loc and kind in ("model_attributes_type", "dict_type", "model_type"):
        return "request body must be a JSON object"
    if not loc and kind == "missing":
        return "request body is required (a JSON object)"
    if kind == "missing":
        return f"{where} is required"
    if kind == "json_invalid":
        return "request body is not valid JSON"
    field = loc[-1] if loc else ""
    if kind == "string_pattern_mismatch" and field.endswith("_id"):
        return f"{where} is not a valid {field.replace('_', ' ')}"
    if kind == "string_too_short" and first.get("ctx", {}).get("min_length") == 1:
        return f"{where} is required" if field.endswith("_id") or field == "path" else f"{where} must not be empty"
    if kind == "string_pattern_mismatch" and field == "workspace":
        return f"Workspace path must be absolute: {first.get('input')}"
    if kind == "string_pattern_mismatch" and first.get("ctx", {}).get("pattern") == NOT_BLANK:
        return f"{where} must not be empty"
    return f"{where}: {first.get('msg', 'invalid value')}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a JSON error reply."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        response = error_response(exc.status, exc.message, **exc.extra)
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Not found", 405: "Method not allowed"}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in messages else None
        response = error_response(exc.status_code, message or messages.get(exc.status_code, "HTTP error"))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:  # every method the path has, not only those of the first route that matched
            methods = {m.upper() for m in app.openapi().get("paths", {}).get(_request.url.path, {})}
            if methods:
                response.headers["Allow"] = ", ".join(sorted(methods | ({"HEAD"} if "GET" in methods else set())))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "Internal server error")
