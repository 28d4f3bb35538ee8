"""Workspace routes in hermes' shapes (list, add, remove, rename, suggest, git-info) and how sessions use
the saved list and the last workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from threadkeep.db.schema import LOCAL_USER_ID


async def test_a_fresh_user_has_home_and_it_is_the_last(client: httpx.AsyncClient, app: Any) -> None:
    reply = await client.get("/api/workspaces")
    home = str(app.state.settings.user_workspace(LOCAL_USER_ID))
    assert reply.status_code == 200
    assert reply.json() == {"workspaces": [{"path": home, "name": "Home"}], "last": home}


async def test_add_rename_remove_with_hermes_errors(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "file.txt").write_text("x")
    added = await client.post("/api/workspaces/add", json={"path": str(tmp_path / "proj"), "name": "Project"})
    assert added.status_code == 200 and added.json()["ok"] is True
    assert added.json()["workspaces"][-1] == {"path": str(tmp_path / "proj"), "name": "Project"}
    for body, words in [({"path": str(tmp_path / "proj")}, "already in list"), ({}, "path is required"),
                        ({"path": ""}, "path is required"), ({"path": str(tmp_path / "nope")}, "does not exist"),
                        ({"path": str(tmp_path / "file.txt")}, "not a directory"), ({"path": "/etc"}, "system")]:
        refused = await client.post("/api/workspaces/add", json=body)
        assert refused.status_code == 400 and words in refused.json()["error"], (body, refused.text)
    renamed = await client.post("/api/workspaces/rename", json={"path": str(tmp_path / "proj"), "name": "P2"})
    assert renamed.json()["workspaces"][-1]["name"] == "P2"
    missing = await client.post("/api/workspaces/rename", json={"path": "/nowhere", "name": "x"})
    assert missing.status_code == 404 and missing.json() == {"error": "Workspace not found"}
    removed = await client.post("/api/workspaces/remove", json={"path": str(tmp_path / "proj")})
    assert [w["name"] for w in removed.json()["workspaces"]] == ["Home"]
    listed = await client.get("/api/workspaces")
    assert [w["name"] for w in listed.json()["workspaces"]] == ["Home"]


async def test_add_can_create_the_folder(client: httpx.AsyncClient, tmp_path: Path) -> None:
    reply = await client.post("/api/workspaces/add", json={"path": str(tmp_path / "made"), "create": True})
    assert reply.status_code == 200 and (tmp_path / "made").is_dir()


async def test_new_sessions_start_in_the_last_workspace(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sid = (await client.post("/api/session/new", json={})).json()["session"]["session_id"]
    await client.post("/api/session/update", json={"session_id": sid, "workspace": str(tmp_path / "a")})
    assert (await client.get("/api/workspaces")).json()["last"] == str(tmp_path / "a")
    fresh = (await client.post("/api/session/new", json={})).json()["session"]
    assert fresh["workspace"] == str(tmp_path / "a")
    started = await client.post("/api/chat/start", json={"session_id": fresh["session_id"], "message": "hi",
                                                         "workspace": str(tmp_path / "b")})
    assert started.status_code == 200
    assert (await client.get("/api/workspaces")).json()["last"] == str(tmp_path / "b")
    assert (await client.post("/api/session/new", json={})).json()["session"]["workspace"] == str(tmp_path / "b")


async def test_a_saved_workspace_outside_the_roots_is_usable(client: httpx.AsyncClient, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("outside")
    refused = await client.post("/api/session/new", json={"workspace": str(outside)})
    assert refused.status_code == 400 and "outside" in refused.json()["error"]
    assert (await client.post("/api/workspaces/add", json={"path": str(outside)})).status_code == 200
    made = await client.post("/api/session/new", json={"workspace": str(outside)})
    assert made.status_code == 200 and made.json()["session"]["workspace"] == str(outside)


async def test_sessions_without_a_profile_are_listed_as_the_default_one(client: httpx.AsyncClient) -> None:
    new = (await client.post("/api/session/new", json={})).json()["session"]
    assert new["profile"] == "default"
    imported = await client.post("/api/session/import", json={"messages": [{"role": "user", "content": "x"}]})
    assert imported.json()["session"]["profile"] is None  # hermes: import leaves it unset...
    listed = (await client.get("/api/sessions")).json()["sessions"]
    assert {s["profile"] for s in listed} == {"default"}  # ...and the list backfills it


async def test_suggest_looks_only_under_trusted_roots(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "alpha").mkdir()
    (tmp_path / ".secret").mkdir()
    reply = (await client.get("/api/workspaces/suggest", params={"prefix": str(tmp_path / "al")})).json()
    assert reply == {"suggestions": [str(tmp_path / "alpha")], "prefix": str(tmp_path / "al")}
    plain = (await client.get("/api/workspaces/suggest", params={"prefix": f"{tmp_path}/"})).json()["suggestions"]
    assert str(tmp_path / ".secret") not in plain and str(tmp_path / "alpha") in plain
    hidden = await client.get("/api/workspaces/suggest", params={"prefix": f"{tmp_path}/", "hidden": "1"})
    assert str(tmp_path / ".secret") in hidden.json()["suggestions"]
    assert (await client.get("/api/workspaces/suggest", params={"prefix": "/etc/"})).json()["suggestions"] == []


async def test_git_info_runs_nothing_the_repository_names(client: httpx.AsyncClient, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    sid = (await client.post("/api/session/new", json={"workspace": str(repo)})).json()["session"]["session_id"]
    assert (await client.get("/api/git-info", params={"session_id": sid})).json() == {"git": None}
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / ".gitattributes").write_text("* filter=evil\n")
    (repo / "a.txt").write_text("a\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    marker = tmp_path / "ran"
    for key, value in [("core.fsmonitor", f"touch {marker}; echo"), ("filter.evil.process", f"touch {marker}"),
                       ("filter.evil.clean", f"touch {marker}; cat")]:
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    (repo / "a.txt").write_text("changed\n")
    (repo / "new.txt").write_text("n\n")
    info = (await client.get("/api/git-info", params={"session_id": sid})).json()["git"]
    assert info == {"branch": "main", "dirty": 2, "modified": 1, "untracked": 1, "ahead": 0, "behind": 0,
                    "is_git": True}
    assert not marker.exists()
    assert (await client.get("/api/git-info", params={"session_id": "nope"})).status_code == 404


async def test_search_lists_sessions_without_a_profile_as_the_default_one(client: httpx.AsyncClient) -> None:
    await client.post("/api/session/import", json={"title": "giraffe", "messages": [{"role": "user", "content": "x"}]})
    for params in ({"q": "giraffe"}, {"q": ""}):
        found = (await client.get("/api/sessions/search", params=params)).json()["sessions"]
        assert found and {s["profile"] for s in found} == {"default"}, params
