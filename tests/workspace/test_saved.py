"""The workspace book (saved workspaces, the last one used, suggestions) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from threadkeep.db.schema import LOCAL_USER_ID
from threadkeep.errors import BadRequest, NotFound
from threadkeep.workspace.roots import WorkspaceError
from threadkeep.workspace.saved import WorkspaceBook, suggest


def book(app: Any, user: str = LOCAL_USER_ID, settings: Any = None) -> WorkspaceBook:
    return WorkspaceBook(app.state.db, settings or app.state.settings, user)


async def test_a_user_who_saved_nothing_sees_their_own_workspace_as_home(app: Any) -> None:
    listed = await book(app).entries()
    assert [(w.name, w.path) for w in listed] == [("Home", str(app.state.settings.user_workspace(LOCAL_USER_ID)))]
    assert await book(app).last() == listed[0].path


async def test_add_keeps_home_and_refuses_a_second_time(app: Any, tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    listed = await book(app).add(str(tmp_path / "proj"), "  ")
    assert [w.name for w in listed] == ["Home", "proj"]
    with pytest.raises(BadRequest, match="already in list"):
        await book(app).add(str(tmp_path / "proj") + "/", "again")


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: str(p / "missing"), "does not exist"),
    (lambda p: (p / "file.txt").write_text("x") and str(p / "file.txt"), "not a directory"),
    (lambda p: "/etc", "system directory"),
    (lambda p: "/usr/lib", "system directory"),
    (lambda p: "   ", "empty"),
])
async def test_add_refuses_what_hermes_refuses(app: Any, tmp_path: Path, make: Any, message: str) -> None:
    with pytest.raises(WorkspaceError, match=message):
        await book(app).add(make(tmp_path))
    assert [w.name for w in await book(app).entries()] == ["Home"]


async def test_add_with_create_makes_the_folder(app: Any, tmp_path: Path) -> None:
    listed = await book(app).add(str(tmp_path / "new" / "deep"), "Deep", create=True)
    assert (tmp_path / "new" / "deep").is_dir() and listed[-1].name == "Deep"


async def test_rename_and_remove(app: Any, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    await book(app).add(str(tmp_path / "a"))
    listed = await book(app).rename(str(tmp_path / "a"), " Alpha ")
    assert listed[-1].name == "Alpha"
    with pytest.raises(NotFound, match="Workspace not found"):
        await book(app).rename("/nowhere", "x")
    assert [w.name for w in await book(app).remove(str(tmp_path / "a"))] == ["Home"]
    assert [w.name for w in await book(app).remove("/never-saved")] == ["Home"]


async def test_a_folder_gone_from_disk_is_not_listed(app: Any, tmp_path: Path) -> None:
    (tmp_path / "gone").mkdir()
    await book(app).add(str(tmp_path / "gone"))
    (tmp_path / "gone").rmdir()
    assert [w.name for w in await book(app).entries()] == ["Home"]


async def test_a_saved_workspace_outside_the_roots_may_be_used(app: Any, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")  # not under the app's root (its own tmp_path)
    with pytest.raises(WorkspaceError, match="outside"):
        await book(app).resolve(str(outside))
    await book(app).add(str(outside))
    assert await book(app).resolve(str(outside)) == str(outside.resolve())
    with pytest.raises(WorkspaceError, match="outside"):  # only the saved folder itself, not what is under it
        (outside / "sub").mkdir()
        await book(app).resolve(str(outside / "sub"))


async def test_a_new_session_starts_in_the_last_workspace_while_it_is_acceptable(app: Any, tmp_path: Path) -> None:
    home = str(app.state.settings.user_workspace(LOCAL_USER_ID))
    assert await book(app).for_new_session(None) == home
    (tmp_path / "w").mkdir()
    await book(app).remember(str(tmp_path / "w"))
    assert await book(app).for_new_session(None) == str(tmp_path / "w")
    assert await book(app).last() == str(tmp_path / "w")
    (tmp_path / "w").rmdir()
    assert await book(app).for_new_session(None) == home


async def test_each_user_has_their_own_book(users_app: Any, tmp_path: Path) -> None:
    from tests.accounts import add_user

    alice, bob = await add_user(users_app, "alice"), await add_user(users_app, "bob")
    a, b = book(users_app, alice.id), book(users_app, bob.id)
    a_root = users_app.state.settings.user_workspace(alice.id)
    (a_root / "proj").mkdir(parents=True)
    await a.add(str(a_root / "proj"))
    assert [w.name for w in await b.entries()] == ["Home"]
    await a.remember(str(a_root / "proj"))
    assert await b.last() != str(a_root / "proj")
    with pytest.raises(WorkspaceError):  # with accounts, only under one's own folder
        await b.add(str(a_root / "proj"))
    with pytest.raises(WorkspaceError):
        await b.resolve(str(a_root / "proj"))
    with pytest.raises(WorkspaceError):
        await b.add(str(tmp_path))


def test_suggestions_stay_under_the_trusted_roots(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for name in ("alpha", "alps", "beta", ".hidden"):
        (root / name).mkdir(parents=True)
    (root / "file.txt").write_text("x")
    (root / "out").symlink_to(tmp_path)  # a link out of the root is not suggested
    assert suggest([root], str(root / "al")) == [str(root / "alpha"), str(root / "alps")]
    # The root itself first (it starts with what was typed, as in hermes), then its folders.
    assert suggest([root], str(root) + "/") == [str(root), *(str(root / n) for n in ("alpha", "alps", "beta"))]
    assert suggest([root], str(root) + "/", hidden=True)[1] == str(root / ".hidden")
    assert suggest([root], str(root / ".h")) == [str(root / ".hidden")]
    assert suggest([root], "/etc/") == []
    assert suggest([root], str(tmp_path) + "/") == [str(root)]  # the root; nothing else of its parent
    assert suggest([root], "") == [str(root)]
    assert suggest([root], str(tmp_path)) == [str(root)]  # a root that starts with what was typed


async def test_removing_a_user_removes_their_book_and_preferences(users_app: Any) -> None:
    from sqlalchemy import func, select

    from tests.accounts import add_user
    from threadkeep.db.schema import saved_workspaces, user_settings

    await add_user(users_app, "admin", role="admin")
    dave = await add_user(users_app, "dave")
    own = users_app.state.settings.user_workspace(dave.id)
    await book(users_app, dave.id).add(str(own / "p"), create=True)
    await book(users_app, dave.id).preferences.update({"theme": "light"})
    await users_app.state.accounts.users.remove(dave.id)
    async with users_app.state.db.read() as conn:
        for table in (saved_workspaces, user_settings):
            key = table.c.owner_id if table is saved_workspaces else table.c.user_id
            assert (await conn.execute(select(func.count()).where(key == dave.id))).scalar_one() == 0
