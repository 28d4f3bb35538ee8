"""`GET /health`: is this instance up, which version, which database."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import __version__
from ..responses import JsonReply, reply

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JsonReply:
    return reply({"status": "ok", "version": __version__, "database": request.app.state.db.dialect})
