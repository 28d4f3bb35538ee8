"""Search over a user's whole store, paged by a cursor, with filters (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from threadkeep.errors import BadRequest
from threadkeep.sessions.messages import Message
from threadkeep.sessions.search import Filters, SessionSearch
from threadkeep.sessions.store import Draft


def said(*texts: str) -> list[Message]:
    return [Message(role="user" if i % 2 == 0 else "assistant", content=t) for i, t in enumerate(texts)]


async def every_page(search: SessionSearch, q: str, limit: int, **kw: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        found = await search.search(q, limit=limit, cursor=cursor, **kw)
        seen += [(h.session.id, h.match_type) for h in found.hits]
        if found.next_cursor is None:
            return seen
        cursor = found.next_cursor


async def test_titles_first_then_content_each_session_once_across_pages(store: Any, app: Any,
                                                                        tmp_path: Any) -> None:
    ws = str(tmp_path)
    titled = [(await store.create(workspace=ws, title=f"zebra notes {i}")).id for i in range(3)]
    talked = [(await store.create(workspace=ws, messages=said(f"zebra {i}", "ok", f"more zebra {i}"))).id
              for i in range(5)]
    both = await store.create(workspace=ws, title="zebra both", messages=said("zebra inside"))
    await store.append(talked[0], said("zebra again"))  # its newest matching message is now the newest
    search = SessionSearch(app.state.db, store.owner)
    whole = (await search.search("zebra", limit=100)).hits
    expected = [(both.id, "title"), *[(i, "title") for i in reversed(titled)],
                (talked[0], "content"), *[(i, "content") for i in reversed(talked[1:])]]
    assert [(h.session.id, h.match_type) for h in whole] == expected
    for limit in (1, 2, 3, 4, 5):
        assert await every_page(search, "zebra", limit) == expected
    assert await every_page(search, "zebra", 2, include_content=False) == expected[:4]


async def test_archived_filter(store: Any, app: Any, tmp_path: Any) -> None:
    ws = str(tmp_path)
    kept = await store.create(workspace=ws, messages=said("walrus one"))
    shelved = await store.create(workspace=ws, messages=said("walrus two"))
    await store.patch(shelved.id, archived=True)
    search = SessionSearch(app.state.db, store.owner)
    assert await every_page(search, "walrus", 5, filters=Filters(archived=True)) == [(shelved.id, "content")]
    assert await every_page(search, "walrus", 5, filters=Filters(archived=False)) == [(kept.id, "content")]


async def test_project_filter_over_http(client: Any) -> None:
    project = (await client.post("/api/projects/create", json={"name": "Work"})).json()
    project_id = (project.get("project") or project)["project_id"]
    made = []
    for i in range(2):
        reply = await client.post("/api/session/import", json={"title": f"t{i}", "messages": [
            {"role": "user", "content": f"narwhal {i}"}]})
        made.append(reply.json()["session"]["session_id"])
    await client.post("/api/session/move", json={"session_id": made[1], "project_id": project_id})
    reply = (await client.get("/api/sessions/search", params={"q": "narwhal", "project_id": project_id})).json()
    assert [s["session_id"] for s in reply["sessions"]] == [made[1]]
    assert reply["count"] == 1 and reply["next_cursor"] is None and reply["query"] == "narwhal"
    page = (await client.get("/api/sessions/search", params={"q": "narwhal", "limit": 1})).json()
    rest = (await client.get("/api/sessions/search", params={"q": "narwhal", "limit": 1,
                                                             "cursor": page["next_cursor"]})).json()
    assert [s["session_id"] for s in page["sessions"] + rest["sessions"]] == [made[1], made[0]]
    assert rest["sessions"][0]["match_type"] == "content" and "narwhal" in rest["sessions"][0]["snippet"]


async def test_matches_beyond_the_newest_400_messages_are_found(store: Any, app: Any, tmp_path: Any) -> None:
    ws = str(tmp_path)
    old = await store.create(workspace=ws, messages=said("the quokka is here"))
    await store.create_many([Draft(workspace=ws, messages=said(*(f"quokka {k}" for k in range(50))))
                             for _ in range(10)])  # 500 newer matching messages in 10 sessions
    search = SessionSearch(app.state.db, store.owner)
    found = await every_page(search, "quokka", 4)
    assert len(found) == 11 and found[-1] == (old.id, "content")


async def test_another_users_matches_are_never_found(store: Any, app: Any, tmp_path: Any) -> None:
    await store.create(workspace=str(tmp_path), title="ocelot", messages=said("ocelot"))
    theirs = SessionSearch(app.state.db, "someone-else")
    assert (await theirs.search("ocelot")).hits == []


async def test_a_bad_cursor_is_a_bad_request(app: Any, store: Any) -> None:
    with pytest.raises(BadRequest):
        await SessionSearch(app.state.db, store.owner).search("x", cursor="bm90IGEgY3Vyc29y")
