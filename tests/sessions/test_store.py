"""SessionStore verbs on SQLite and PostgreSQL (no HTTP)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from threadkeep.errors import BadRequest, NotFound
from threadkeep.sessions.messages import Message
from threadkeep.sessions.store import NothingToRemove, SessionDeleted, SessionExists


def turn(i: int) -> list[Message]:
    return [Message(role="user", content=f"user {i}"), Message(role="assistant", content=f"reply {i}")]


def turns(n: int) -> list[Message]:
    return [m for i in range(n) for m in turn(i)]


async def texts(store: Any, session_id: str) -> list[str]:
    page = await store.page_of_messages(session_id)
    assert [m.seq for m in page.messages] == list(range(len(page.messages)))
    assert page.session.message_count == len(page.messages)
    return [m.text for m in page.messages]


async def test_create_and_get_round_trip(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), title="hello", model="m1", messages=turns(2))
    assert len(session.id) == 12 and session.message_count == 4
    got = await store.get(session.id)
    assert (got.title, got.model, got.next_seq) == ("hello", "m1", 4)
    assert await texts(store, session.id) == ["user 0", "reply 0", "user 1", "reply 1"]


async def test_get_unknown_session_is_not_found(store: Any) -> None:
    with pytest.raises(NotFound):
        await store.get("nothere")


async def test_append_is_contiguous_and_counts_usage(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path))
    reply = Message(role="assistant", content="x", input_tokens=10, output_tokens=5)
    await store.append(session.id, [Message(role="user", content="q"), reply])
    after = await store.append(session.id, turn(9))
    assert after.message_count == 4 and after.next_seq == 4
    assert (after.input_tokens, after.output_tokens) == (10, 5)
    assert after.last_message_at is not None


async def test_retry_cuts_before_last_user_message(store: Any, tmp_path: Any) -> None:
    msgs = [*turns(2), Message(role="tool", content="tool output")]
    session = await store.create(workspace=str(tmp_path), messages=msgs)
    cut = await store.retry(session.id)
    assert (cut.removed_count, cut.last_user_text) == (3, "user 1")
    assert await texts(store, session.id) == ["user 0", "reply 0"]


async def test_undo_preview_is_forty_chars_and_ellipsis(store: Any, tmp_path: Any) -> None:
    long = "x" * 50
    session = await store.create(workspace=str(tmp_path), messages=[Message(role="user", content=long)])
    cut = await store.undo(session.id)
    assert cut.removed_preview == "x" * 40 + "..."
    with pytest.raises(NothingToRemove, match=r"Nothing to undo\."):
        await store.undo(session.id)


async def test_retry_without_user_message_says_so(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=[Message(role="assistant", content="a")])
    with pytest.raises(NothingToRemove, match=r"No previous message to retry\."):
        await store.retry(session.id)


async def test_list_of_parts_text_is_joined_by_one_space(store: Any, tmp_path: Any) -> None:
    parts = [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {"url": "x"}},
             {"type": "text", "text": "world"}]
    session = await store.create(workspace=str(tmp_path), messages=[Message(role="user", content=parts)])
    cut = await store.retry(session.id)
    assert cut.last_user_text == "hello world"


async def test_truncate_keeps_first_messages(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=turns(3))
    await store.truncate(session.id, 3)
    assert await texts(store, session.id) == ["user 0", "reply 0", "user 1"]
    await store.truncate(session.id, 10)  # keeping more than there is changes nothing
    assert len(await texts(store, session.id)) == 3
    with pytest.raises(BadRequest):
        await store.truncate(session.id, -1)


async def test_clear_keeps_session_and_resets_counters_and_title(store: Any, tmp_path: Any) -> None:
    msgs = [Message(role="user", content="q"), Message(role="assistant", content="a", output_tokens=7)]
    session = await store.create(workspace=str(tmp_path), title="keep me", messages=msgs)
    cleared = await store.clear(session.id)
    assert (cleared.title, cleared.message_count, cleared.output_tokens) == ("Untitled", 0, 0)
    await store.append(session.id, turn(5))
    assert await texts(store, session.id) == ["user 5", "reply 5"]


async def test_branch_copies_a_prefix_into_an_independent_session(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), title="base", messages=turns(3))
    branch = await store.branch(session.id, 2)
    assert branch.id != session.id and branch.title == "base (branch)"
    assert await texts(store, branch.id) == ["user 0", "reply 0"]
    await store.undo(branch.id)
    assert len(await texts(store, session.id)) == 6
    whole = await store.branch(session.id)
    assert await texts(store, whole.id) == await texts(store, session.id)


async def test_page_of_messages_pages_newest_first(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=turns(10))
    page = await store.page_of_messages(session.id, limit=5)
    assert [m.seq for m in page.messages] == [15, 16, 17, 18, 19] and page.has_more
    older = await store.page_of_messages(session.id, limit=5, before=15)
    assert [m.seq for m in older.messages] == [10, 11, 12, 13, 14]
    first = await store.page_of_messages(session.id, limit=5, before=3)
    assert [m.seq for m in first.messages] == [0, 1, 2] and not first.has_more


async def test_list_is_newest_activity_first_with_keyset_pages(store: Any, tmp_path: Any) -> None:
    ids = [(await store.create(workspace=str(tmp_path), title=f"s{i}")).id for i in range(7)]
    await store.patch(ids[0], title="renamed")  # activity moves it to the top
    everything = await store.list()
    assert everything.sessions[0].id == ids[0] and everything.next_cursor is None
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.list(limit=3, cursor=cursor)
        seen += [s.id for s in page.sessions]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [s.id for s in everything.sessions]


async def test_list_filters(store: Any, tmp_path: Any) -> None:
    a = await store.create(workspace=str(tmp_path), title="a")
    b = await store.create(workspace=str(tmp_path), title="b")
    await store.patch(a.id, pinned=True)
    await store.patch(b.id, archived=True)
    assert [s.id for s in (await store.list(pinned=True)).sessions] == [a.id]
    assert [s.id for s in (await store.list(archived=True)).sessions] == [b.id]
    assert [s.id for s in (await store.list(archived=False)).sessions] == [a.id]


async def test_bad_cursor_is_a_bad_request(store: Any) -> None:
    with pytest.raises(BadRequest):
        await store.list(limit=2, cursor="not-a-cursor!")


async def test_delete_is_idempotent_and_final(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=turns(2))
    assert await store.delete(session.id) is True
    assert await store.delete(session.id) is False
    with pytest.raises(NotFound):
        await store.get(session.id)
    with pytest.raises(SessionDeleted):
        await store.create(workspace=str(tmp_path), session_id=session.id)


async def test_create_with_existing_id_is_refused(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path))
    with pytest.raises(SessionExists):
        await store.create(workspace=str(tmp_path), session_id=session.id)


async def test_delete_empty_removes_only_sessions_without_messages(store: Any, tmp_path: Any) -> None:
    empty = await store.create(workspace=str(tmp_path))
    full = await store.create(workspace=str(tmp_path), messages=turns(1))
    assert await store.delete_empty() == 1
    assert [s.id for s in (await store.list()).sessions] == [full.id]
    assert await store.is_deleted(empty.id)


async def test_clear_stale_streams_frees_sessions(store: Any, app: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path))
    await store.set_active_stream(session.id, "abc")
    assert await app.state.sessions.clear_stale_streams() == 1
    assert (await store.get(session.id)).active_stream_id is None


async def test_concurrent_undos_each_remove_exactly_one_turn(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=turns(10))
    results = await asyncio.gather(*[store.undo(session.id) for _ in range(6)])
    assert all(r.removed_count == 2 for r in results)
    assert await texts(store, session.id) == [m.text for m in turns(4)]


async def test_concurrent_retries_past_the_start_fail_cleanly(store: Any, tmp_path: Any) -> None:
    session = await store.create(workspace=str(tmp_path), messages=turns(2))
    results = await asyncio.gather(*[store.retry(session.id) for _ in range(5)], return_exceptions=True)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 2
    assert all(isinstance(r, NothingToRemove) for r in results if isinstance(r, Exception))
    assert await texts(store, session.id) == []


async def test_writes_to_distinct_sessions_do_not_interfere(store: Any, tmp_path: Any) -> None:
    sessions = [await store.create(workspace=str(tmp_path)) for _ in range(8)]

    async def work(session_id: str, n: int) -> None:
        for i in range(n):
            await store.append(session_id, turn(i))
        await store.undo(session_id)

    await asyncio.gather(*[work(s.id, 3 + k) for k, s in enumerate(sessions)])
    for k, s in enumerate(sessions):
        assert await texts(store, s.id) == [m.text for m in turns(2 + k)]


async def test_undo_finds_a_user_message_far_back(store: Any, tmp_path: Any) -> None:
    msgs = [*turn(0), Message(role="user", content="far back"),
            *[Message(role="assistant", content=f"step {i}") for i in range(100)]]
    session = await store.create(workspace=str(tmp_path), messages=msgs)
    cut = await store.undo(session.id)
    assert (cut.removed_count, cut.last_user_text) == (101, "far back")
    assert await texts(store, session.id) == ["user 0", "reply 0"]
