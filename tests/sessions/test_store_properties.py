"""Property-based tests: random sequences of transcript verbs agree with a simple list model.

After every step the stored transcript equals the model, seqs are contiguous, message_count matches, and a
branch holds exactly the prefix it was asked for. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from threadkeep.db.schema import LOCAL_USER_ID
from threadkeep.sessions.messages import Message
from threadkeep.sessions.store import NothingToRemove
from threadkeep.web.app import create_app

Op = tuple[str, int]
ops = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["user", "assistant", "tool"]), st.integers(0, 999)),
        st.tuples(st.sampled_from(["retry", "undo", "clear"]), st.just(0)),
        st.tuples(st.sampled_from(["truncate", "branch"]), st.integers(0, 12)),
    ),
    max_size=25,
)


@pytest.fixture
def running_store(settings: Any) -> Iterator[tuple[asyncio.Runner, Any]]:
    app = create_app(settings)
    with asyncio.Runner() as runner:
        lifespan = app.router.lifespan_context(app)
        runner.run(lifespan.__aenter__())
        try:
            yield runner, app.state.sessions.of(LOCAL_USER_ID)
        finally:
            runner.run(lifespan.__aexit__(None, None, None))


def cut_model(model: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], int] | None:
    users = [i for i, (role, _) in enumerate(model) if role == "user"]
    if not users:
        return None
    return model[: users[-1]], len(model) - users[-1]


async def transcript(store: Any, session_id: str) -> list[tuple[str, str]]:
    page = await store.page_of_messages(session_id)
    assert [m.seq for m in page.messages] == list(range(len(page.messages)))
    assert page.session.message_count == len(page.messages) == page.session.next_seq
    return [(m.role, m.text) for m in page.messages]


async def check(store: Any, workspace: str, steps: list[Op]) -> None:
    session = await store.create(workspace=workspace)
    model: list[tuple[str, str]] = []
    for name, arg in steps:
        if name in ("user", "assistant", "tool"):
            await store.append(session.id, [Message(role=name, content=f"{name} {arg}")])
            model.append((name, f"{name} {arg}"))
        elif name in ("retry", "undo"):
            expected = cut_model(model)
            if expected is None:
                with pytest.raises(NothingToRemove):
                    await getattr(store, name)(session.id)
            else:
                cut = await getattr(store, name)(session.id)
                model, removed = expected
                assert cut.removed_count == removed
        elif name == "clear":
            await store.clear(session.id)
            model = []
        elif name == "truncate":
            await store.truncate(session.id, arg)
            model = model[:arg]
        elif name == "branch":
            branch = await store.branch(session.id, arg)
            assert await transcript(store, branch.id) == model[:arg]
        assert await transcript(store, session.id) == model


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_transcript_verbs_match_a_list_model(running_store: tuple[asyncio.Runner, Any], tmp_path: Any,
                                             steps: list[Op]) -> None:
    runner, store = running_store
    runner.run(check(store, str(tmp_path), steps))


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_turns=st.integers(1, 6), cuts=st.lists(st.sampled_from(["retry", "undo"]), min_size=1, max_size=8))
def test_concurrent_cuts_leave_a_prefix(running_store: tuple[asyncio.Runner, Any], tmp_path: Any,
                                        n_turns: int, cuts: list[str]) -> None:
    runner, store = running_store

    async def run() -> None:
        original = [Message(role=r, content=f"{r} {i}") for i in range(n_turns) for r in ("user", "assistant")]
        session = await store.create(workspace=str(tmp_path), messages=original)
        results = await asyncio.gather(*[getattr(store, c)(session.id) for c in cuts], return_exceptions=True)
        done = [r for r in results if not isinstance(r, Exception)]
        for r in results:
            if isinstance(r, Exception):
                assert isinstance(r, NothingToRemove)
        assert len(done) == min(len(cuts), n_turns)
        final = await transcript(store, session.id)
        assert final == [(m.role, m.text) for m in original][: 2 * (n_turns - len(done))]

    runner.run(run())
