"""`GET /health`: is this instance up, which version, which database, how long it has run and how many turns
it is running now (hermes' `active_streams` and `uptime_seconds`)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from ... import __version__
from ..responses import JsonReply, reply

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JsonReply:
    state = request.app.state
    return reply({"status": "ok", "version": __version__, "database": state.db.dialect,
                  "active_streams": state.turns.active_count(),
                  "uptime_seconds": round(time.monotonic() - state.started_at, 3)})
