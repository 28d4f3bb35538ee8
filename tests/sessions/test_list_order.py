"""The session list's order, last activity first, and its keyset cursor (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from threadkeep.db.schema import sessions
from threadkeep.sessions.messages import Message


def chat(i: int) -> list[Message]:
    return [Message(role="user", content=f"question {i}"), Message(role="assistant", content=f"answer {i}")]


async def ids(store: Any, **filters: Any) -> list[str]:
    return [s.id for s in (await store.list(**filters)).sessions]


async def paged(store: Any, limit: int, **filters: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.list(limit=limit, cursor=cursor, **filters)
        seen += [s.id for s in page.sessions]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


async def test_rename_pin_archive_and_move_do_not_move_a_chat(store: Any, tmp_path: Any) -> None:
    old = await store.create(workspace=str(tmp_path), title="old", messages=chat(0))
    new = await store.create(workspace=str(tmp_path), title="new", messages=chat(1))
    assert await ids(store) == [new.id, old.id]
    await store.patch(old.id, title="renamed")
    await store.patch(old.id, pinned=True)
    await store.patch(old.id, model="another-model")
    assert await ids(store) == [new.id, old.id]
    assert await ids(store, pinned=True) == [old.id]


async def test_a_new_message_moves_a_chat_to_the_top(store: Any, tmp_path: Any) -> None:
    old = await store.create(workspace=str(tmp_path), messages=chat(0))
    await store.create(workspace=str(tmp_path), messages=chat(1))
    await store.append(old.id, chat(2))
    assert (await ids(store))[0] == old.id


async def test_a_chat_without_messages_stands_by_its_last_change(store: Any, tmp_path: Any) -> None:
    empty = await store.create(workspace=str(tmp_path))
    talked = await store.create(workspace=str(tmp_path), messages=chat(0))
    assert await ids(store) == [talked.id, empty.id]
    await store.patch(empty.id, title="named")  # nothing else says when it was last used
    assert await ids(store) == [empty.id, talked.id]


async def test_cursor_pages_through_equal_activity_times_without_gaps_or_repeats(store: Any, app: Any,
                                                                                 tmp_path: Any) -> None:
    made = [(await store.create(workspace=str(tmp_path), messages=chat(i))).id for i in range(9)]
    # Three groups of three sessions with the very same activity time: only the id breaks the tie.
    async with app.state.db.write() as conn:
        for k, sid in enumerate(made):
            await conn.execute(update(sessions).where(sessions.c.id == sid)
                               .values(last_message_at=1000.0 + k // 3, updated_at=5000.0 - k))
    expected = sorted(made, key=lambda sid: (1000.0 + made.index(sid) // 3, sid), reverse=True)
    assert await ids(store) == expected
    for limit in (1, 2, 3, 4):
        assert await paged(store, limit) == expected


async def test_filtered_pages_follow_the_same_order(store: Any, tmp_path: Any) -> None:
    made = [(await store.create(workspace=str(tmp_path), messages=chat(i))).id for i in range(6)]
    for sid in made[::2]:
        await store.patch(sid, archived=True)
    assert await paged(store, 2, archived=True) == list(reversed(made[::2]))
    assert await paged(store, 2, archived=False) == list(reversed(made[1::2]))


async def test_another_users_sessions_are_not_listed(store: Any, app: Any, tmp_path: Any) -> None:
    mine = await store.create(workspace=str(tmp_path), messages=chat(0))
    theirs = app.state.sessions.of("someone-else")
    assert await ids(theirs) == []
    assert await ids(store) == [mine.id]


async def test_http_list_pages_by_activity(client: Any) -> None:
    made = []
    for i in range(4):
        reply = await client.post("/api/session/import", json={"title": f"c{i}", "messages": [
            {"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]})
        made.append(reply.json()["session"]["session_id"])
    await client.post("/api/session/rename", json={"session_id": made[0], "title": "renamed"})
    await client.post("/api/session/pin", json={"session_id": made[1], "pinned": True})
    first = (await client.get("/api/sessions", params={"limit": 2})).json()
    rest = (await client.get("/api/sessions", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    listed = [s["session_id"] for s in first["sessions"] + rest["sessions"]]
    assert listed == list(reversed(made)) and rest["next_cursor"] is None
    whole = (await client.get("/api/sessions")).json()
    assert [s["session_id"] for s in whole["sessions"]] == listed
