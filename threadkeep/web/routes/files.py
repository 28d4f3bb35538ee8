"""Workspace file routes for the UI, in hermes-webui's shapes: list, read, raw bytes, save, create,
create-dir, delete, rename, upload.

Every path is resolved inside the session's workspace by `files.Workspace` (which refuses escapes);
handlers only parse, call one verb in a thread, and shape the reply. Raw bytes are served so that an
uploaded page or SVG cannot run script in threadkeep's origin (attachment, or a sandboxing CSP).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from pathlib import Path, PurePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from pydantic import ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, Response

from ...errors import NOT_BLANK, BadRequest, PayloadTooLarge
from ...sessions.store import SessionStore
from ...settings import Settings
from ...workspace.files import Entry, FileConflict, Workspace, etag_of
from ...workspace.roots import link_policy
from ..responses import JsonReply, reply
from .deps import SESSION_ID_PATTERN, AppSettings, QuerySessionId, SessionRef, Store, check_session_id

router = APIRouter(tags=["files"])

PathText = Annotated[str, Field(max_length=4096)]
QueryPath = Annotated[str, Query(max_length=4096)]
RequiredPath = Annotated[str, Query(min_length=1, max_length=4096)]
NewName = Annotated[str, Field(min_length=1, max_length=4096, pattern=NOT_BLANK)]
# Shown in place by a browser with no risk to the page that embeds them.
_INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif",
                           "image/x-icon", "image/vnd.microsoft.icon", "text/plain", "application/pdf"})
# Raw files are untrusted: whatever a browser makes of them runs sandboxed, without script.
_RAW_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
            "frame-ancestors 'self'")
_UNSAFE_NAME = re.compile(r"[^\w.\-]")


async def workspace_of(store: SessionStore, settings: Settings, session_id: str) -> Workspace:
    """The session's workspace; reads may follow its links as far as `roots.link_policy` allows the user."""
    session = await store.get(check_session_id(session_id))
    links = link_policy(settings.workspace_roots_for(store.owner) if settings.multi_user else None)
    return await asyncio.to_thread(Workspace, session.workspace, max_read_bytes=settings.file_read_max_bytes,
                                   links=links)


class SaveFile(SessionRef):
    path: PathText
    content: str = ""


class SaveIfUnchanged(SaveFile):
    # The `etag` that GET /api/file gave, as a body field (the If-Match header does the same): the save
    # happens only over that version, else 412. Without either, the last write wins (as in hermes).
    if_match: Annotated[str, Field(max_length=1000)] | None = None


class PathRef(SessionRef):
    path: PathText


class DeletePath(PathRef):
    recursive: bool = False


class RenamePath(PathRef):
    # One of the two is required (the schema says so too).
    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["new_name"]}, {"required": ["new_path"]}]})
    new_name: NewName | None = None
    new_path: NewName | None = None


@router.get("/api/list")
async def list_dir(session_id: QuerySessionId, store: Store, settings: AppSettings, path: QueryPath = ".",
                   hidden: bool = False) -> JsonReply:
    ws = await workspace_of(store, settings, session_id)
    entries, truncated = await asyncio.to_thread(ws.list_dir, path or ".", hidden=hidden)
    return reply({"entries": [e.to_dict() for e in entries], "path": path or ".", "truncated": truncated})


@router.get("/api/file")
async def read_file(session_id: QuerySessionId, store: Store, settings: AppSettings,
                    path: RequiredPath) -> JsonReply:
    if not path:
        raise BadRequest("path is required")
    ws = await workspace_of(store, settings, session_id)
    text = await asyncio.to_thread(ws.read_text, path)
    return JsonReply(text.to_dict(), headers={"ETag": text.etag})


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266 with an RFC 5987 `filename*` (UTF-8, percent-encoded) and a plain ASCII `filename` for old
    clients: every byte of the header is printable ASCII, whatever the name (control characters, quotes,
    backslashes, non-Latin scripts, bytes that are not UTF-8)."""
    def plain(text: str) -> str:
        return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in text)

    fallback = plain(name).strip(" .")
    if not fallback.strip("_"):
        suffix = plain(PurePath(name).suffix)
        fallback = f"download{suffix}" if suffix.strip("._") else "download"
    encoded = quote(name.encode("utf-8", "surrogateescape"), safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _disposition(name: str, mime: str, *, download: bool, inline: bool) -> str:
    kind = "inline" if not download and (inline or mime in _INLINE_TYPES) else "attachment"
    return content_disposition(kind, name)


@router.get("/api/file/raw")
async def raw_file(session_id: QuerySessionId, store: Store, settings: AppSettings, path: RequiredPath,
                   download: bool = False, inline: bool = False) -> Response:
    """The file's bytes with its content type. Images, PDFs and plain text are shown in place; other
    types only with `inline=1`; `download=1` always downloads. A sandboxing CSP rides on every reply."""
    if not path:
        raise BadRequest("path is required")
    ws = await workspace_of(store, settings, session_id)
    target = await asyncio.to_thread(ws.file, path)
    mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    media_type = f"{mime}; charset=utf-8" if mime.startswith("text/") else mime
    headers = {
        "Content-Disposition": _disposition(target.name, mime, download=download, inline=inline),
        "Content-Security-Policy": _RAW_CSP,
        "Cache-Control": "no-store",
    }
    return FileResponse(target, media_type=media_type, headers=headers)


def _saved(entry: Entry, **extra: Any) -> dict[str, Any]:
    return {"ok": True, "path": entry.path, "size": entry.size, **extra}


_STALE: dict[int | str, dict[str, Any]] = {412: {
    "description": "The file changed since the version named by If-Match / if_match was read (`etag`: the current one)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}}


@router.post("/api/file/save", responses=_STALE)
async def save_file(body: SaveIfUnchanged, store: Store, settings: AppSettings,
                    if_match: Annotated[str | None, Header(max_length=1000)] = None) -> JsonReply:
    """Replace the content of an existing file (404 if there is none); with If-Match (or `if_match`), only
    over that version of it. The reply's `etag` names the version just written."""
    ws = await workspace_of(store, settings, body.session_id)
    expected = if_match if if_match is not None else body.if_match
    entry = await asyncio.to_thread(ws.save, body.path, body.content, create=False, if_match=expected)
    etag = etag_of(body.content.encode())
    return JsonReply(_saved(entry, etag=etag), headers={"ETag": etag})


@router.post("/api/file/create")
async def create_file(body: SaveFile, store: Store, settings: AppSettings) -> JsonReply:
    """Create a new file (parents too); 409 if it exists."""
    ws = await workspace_of(store, settings, body.session_id)
    entry = await asyncio.to_thread(ws.save, body.path, body.content, overwrite=False)
    return reply(_saved(entry))


@router.post("/api/file/create-dir")
async def create_dir(body: PathRef, store: Store, settings: AppSettings) -> JsonReply:
    ws = await workspace_of(store, settings, body.session_id)
    entry = await asyncio.to_thread(ws.mkdir, body.path)
    return reply({"ok": True, "path": entry.path})


@router.post("/api/file/delete")
async def delete_path(body: DeletePath, store: Store, settings: AppSettings) -> JsonReply:
    """Delete a file, an empty directory, or (with `recursive`) a directory and everything in it."""
    ws = await workspace_of(store, settings, body.session_id)
    await asyncio.to_thread(ws.delete, body.path, recursive=body.recursive)
    return reply({"ok": True, "path": body.path})


@router.post("/api/file/rename")
async def rename_path(body: RenamePath, store: Store, settings: AppSettings) -> JsonReply:
    """`new_name` renames in place (hermes-webui); `new_path` moves anywhere in the workspace."""
    if body.new_path:
        destination = body.new_path
    elif body.new_name and body.new_name.strip():
        name = body.new_name.strip()
        if "/" in name or "\\" in name or name in (".", ".."):
            raise BadRequest("Invalid file name")
        destination = str(PurePath(body.path).parent / name)
    else:
        raise BadRequest("new_name or new_path is required")
    ws = await workspace_of(store, settings, body.session_id)
    entry = await asyncio.to_thread(ws.rename, body.path, destination)
    return reply({"ok": True, "old_path": body.path, "new_path": entry.path})


def _safe_upload_name(filename: str) -> str:
    name = _UNSAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name)[:200]
    if not name.strip("."):
        raise BadRequest("Invalid filename")
    return name


def _store_upload(ws: Workspace, folder: str, name: str, data: bytes) -> Entry:
    """Save without overwriting: `name`, else `stem-1.ext`, `stem-2.ext`..."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1000):
        candidate = name if n == 0 else f"{stem}-{n}{suffix}"
        try:
            return ws.save(str(PurePath(folder) / candidate), data, overwrite=False)
        except FileConflict:
            continue
    raise FileConflict("Too many uploads with the same filename")


_UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["session_id", "file"],
        "properties": {
            "session_id": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": SESSION_ID_PATTERN},
            "path": {"type": "string", "maxLength": 4096, "description": "A folder in the workspace (default: root)"},
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1,
                     "maxItems": 20},
        },
    }}},
}


@router.post("/api/upload", openapi_extra={"requestBody": _UPLOAD_BODY})
async def upload(request: Request, store: Store, settings: AppSettings) -> JsonReply:
    """Multipart fields `session_id`, `path` (a folder in the workspace, default the root) and one or
    more `file` parts. 413 for a file over the upload limit."""
    limit = settings.upload_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + 64 * 1024:  # room for the multipart framing
        raise PayloadTooLarge(f"File too large (max {limit} bytes)")
    try:
        form = await request.form(max_files=20, max_fields=20)
    except Exception as exc:  # malformed multipart: the parser's message is good enough
        raise BadRequest(f"Invalid multipart body: {exc}") from None
    try:
        return reply(await _save_uploads(form, store, settings))
    finally:
        await form.close()


async def _save_uploads(form: Any, store: SessionStore, settings: Settings) -> dict[str, Any]:
    limit = settings.upload_max_bytes
    session_id = form.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise BadRequest("session_id is required")
    folder = form.get("path") or ""
    if not isinstance(folder, str):
        raise BadRequest("path must be a form field, not a file")
    uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not uploads:
        raise BadRequest("No file field in request")
    if any(f.size is not None and f.size > limit for f in uploads):
        raise PayloadTooLarge(f"File too large (max {limit} bytes)")
    ws = await workspace_of(store, settings, session_id)
    results = []
    for part in uploads:
        name = _safe_upload_name(part.filename or "")
        data = await part.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"File too large (max {limit} bytes)")
        entry = await asyncio.to_thread(_store_upload, ws, folder or ".", name, data)
        mime = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
        results.append({"filename": entry.name, "path": str(ws.root / entry.path), "rel_path": entry.path,
                        "size": entry.size, "mime": mime, "is_image": mime.startswith("image/"),
                        "extracted": False})
    return results[0] if len(results) == 1 else {"files": results, "count": len(results)}
