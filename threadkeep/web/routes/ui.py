"""The web UI: `/` is the single page, `/static/...` its ES modules, styles and vendored libraries.

The page talks to the public HTTP API only. Files are served with `Cache-Control: no-cache` (revalidated by
ETag on every load), so an upgraded threadkeep never runs yesterday's scripts against today's API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["ui"])


@router.get("/", include_in_schema=False)
@router.get("/admin", include_in_schema=False)
async def index() -> FileResponse:
    """The app (signed-in users only: `web.authn` sends everyone else to /login); /admin opens its admin view."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "login.html", headers={"Cache-Control": "no-cache"})


class _RevalidatedFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def mount(app: FastAPI) -> None:
    """Mounted after every API route, so `/static` can never shadow one."""
    app.include_router(router)
    app.mount("/static", _RevalidatedFiles(directory=STATIC_DIR), name="static")
