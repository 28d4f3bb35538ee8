"""`GET /api/sessions/search`: title and content matches for a query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..responses import JsonReply, reply
from .deps import Search

router = APIRouter(tags=["search"])


@router.get("/api/sessions/search")
async def search_sessions(
    search: Search,
    q: Annotated[str, Query(max_length=500)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    content: Annotated[bool, Query()] = True,
) -> JsonReply:
    hits = await search.search(q, limit=limit, include_content=content)
    return reply({"sessions": [h.to_dict() for h in hits], "count": len(hits), "query": q})
