"""Workspace file endpoints in hermes-webui's shapes, in-process on SQLite: list, read, raw, save, create,
create-dir, delete, rename, upload (413 over the limit), and escapes refused."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

UPLOAD_LIMIT = 4096


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'threadkeep.db'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Any:
    from threadkeep.settings import Settings

    return Settings(data_dir=tmp_path / "data", database_url=database_url, workspace_roots=[tmp_path],
                    access_log=False, upload_max_bytes=UPLOAD_LIMIT, file_read_max_bytes=10_000)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "docs").mkdir(parents=True)
    (ws / "docs" / "guide.md").write_text("# Guide\nstep one\n")
    (ws / "hello.txt").write_text("hello\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return ws


@pytest.fixture
async def sid(client: httpx.AsyncClient, root: Path) -> str:
    reply = await client.post("/api/session/new", json={"workspace": str(root)})
    assert reply.status_code == 200, reply.text
    session_id: str = reply.json()["session"]["session_id"]
    return session_id


async def test_list(client: httpx.AsyncClient, sid: str) -> None:
    reply = await client.get("/api/list", params={"session_id": sid})
    assert reply.status_code == 200
    body = reply.json()
    assert body["path"] == "."
    assert [(e["name"], e["type"], e["path"]) for e in body["entries"]] == [
        ("docs", "dir", "docs"), ("hello.txt", "file", "hello.txt")]
    assert body["entries"][1]["size"] == 6
    sub = (await client.get("/api/list", params={"session_id": sid, "path": "docs"})).json()
    assert [e["path"] for e in sub["entries"]] == ["docs/guide.md"]


async def test_read_file(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    reply = await client.get("/api/file", params={"session_id": sid, "path": "docs/guide.md"})
    etag = '"' + hashlib.sha256(b"# Guide\nstep one\n").hexdigest()[:32] + '"'  # names this version of the file
    assert reply.json() == {"path": "docs/guide.md", "content": "# Guide\nstep one\n", "size": 17, "lines": 3,
                            "etag": etag}
    assert reply.headers["etag"] == etag
    (root / "big.txt").write_text("x" * 20_000)
    (root / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    cases = [("nope.txt", 404), ("docs", 400), ("big.txt", 413), ("img.png", 415), ("", 400)]
    for path, status in cases:
        reply = await client.get("/api/file", params={"session_id": sid, "path": path})
        assert reply.status_code == status, (path, reply.text)
        assert reply.json()["error"]


@pytest.mark.parametrize("path", ["../secret.txt", "docs/../../secret.txt", "/etc/passwd", "a\x00b"])
async def test_escapes_are_refused_everywhere(client: httpx.AsyncClient, sid: str, root: Path, path: str) -> None:
    for url in ("/api/list", "/api/file", "/api/file/raw"):
        reply = await client.get(url, params={"session_id": sid, "path": path})
        assert reply.status_code == 400, (url, reply.text)
        assert "error" in reply.json()
    for url, body in (("/api/file/save", {"content": "x"}), ("/api/file/create", {"content": "x"}),
                      ("/api/file/delete", {}), ("/api/file/create-dir", {}),
                      ("/api/file/rename", {"new_name": "moved.txt"})):
        reply = await client.post(url, json={"session_id": sid, "path": path, **body})
        assert reply.status_code == 400, (url, reply.text)
    moved = await client.post("/api/file/rename", json={"session_id": sid, "path": "hello.txt", "new_path": path})
    assert moved.status_code == 400
    assert (root.parent / "secret.txt").read_text() == "outside\n"


async def test_links_out_are_browsable_as_in_hermes_but_not_into_system_trees(
        client: httpx.AsyncClient, sid: str, root: Path) -> None:
    (root.parent / "elsewhere").mkdir()
    (root.parent / "elsewhere" / "secret.txt").write_text("outside\n")
    (root / "escape").symlink_to(root.parent / "elsewhere")
    (root / "up").symlink_to(root.parent)  # an ancestor: a cycle
    (root / "etc").symlink_to("/etc")
    (root / "self").symlink_to(root)
    listed = (await client.get("/api/list", params={"session_id": sid})).json()["entries"]
    first = listed[0]  # links first, as hermes lists them
    assert (first["name"], first["type"], first["target"], first["is_dir"]) == (
        "escape", "symlink", str(root.parent / "elsewhere"), True)
    assert {e["name"] for e in listed} == {"escape", "docs", "hello.txt"}  # /etc and the cycle hidden
    inside = (await client.get("/api/list", params={"session_id": sid, "path": "escape"})).json()["entries"]
    assert "escape/secret.txt" in {e["path"] for e in inside}
    read = await client.get("/api/file", params={"session_id": sid, "path": "escape/secret.txt"})
    assert read.status_code == 200 and read.json()["content"] == "outside\n"
    for path in ("etc/passwd", "../secret.txt", "escape/../../etc/passwd", "/etc/passwd"):
        for url in ("/api/file", "/api/list", "/api/file/raw"):
            reply = await client.get(url, params={"session_id": sid, "path": path})
            assert reply.status_code in (400, 404), (url, path, reply.text)
    saved = await client.post("/api/file/save", json={"session_id": sid, "path": "escape/secret.txt",
                                                       "content": "overwritten"})
    assert saved.status_code == 400 and "outside the workspace" in saved.json()["error"]
    assert (root.parent / "elsewhere" / "secret.txt").read_text() == "outside\n"


async def test_with_accounts_a_link_never_leads_out_of_the_users_own_folder(users_app: Any, tmp_path: Path) -> None:
    from tests.accounts import add_user, logged_in

    user = await add_user(users_app, "carol")
    carol = await logged_in(users_app, "carol")
    made = (await carol.post("/api/session/new", json={})).json()["session"]
    home = Path(made["workspace"])
    assert home == users_app.state.settings.user_workspace(user.id)
    (home / "mine").mkdir()
    (home / "mine" / "notes.txt").write_text("carol's")
    (home / "sub").mkdir()
    (home / "sub" / "to-mine").symlink_to(home / "mine")
    (home / "out").symlink_to(tmp_path)  # the server's folder: other users' data lives under it
    listed = (await carol.get("/api/list", params={"session_id": made["session_id"]})).json()["entries"]
    assert "out" not in {e["name"] for e in listed}
    for url in ("/api/list", "/api/file", "/api/file/raw"):
        reply = await carol.get(url, params={"session_id": made["session_id"], "path": "out/secret.txt"})
        assert reply.status_code in (400, 404) and "outside" in reply.text, (url, reply.text)
    inner = (await carol.get("/api/list", params={"session_id": made["session_id"], "path": "sub"})).json()
    assert [(e["name"], e["is_dir"]) for e in inner["entries"]] == [("to-mine", True)]


@pytest.mark.parametrize("name", ["日本語.txt", "naïve ☃.txt", 'quo"te\\back.txt', "tab\tname.txt", "emoji 🎉.png",
                                  "Ω", "new\nline.txt"])
async def test_raw_names_any_file_in_a_latin1_safe_header(client: httpx.AsyncClient, sid: str, root: Path,
                                                          name: str) -> None:
    from urllib.parse import quote

    (root / name).write_bytes(b"data")
    for extra in ({}, {"download": 1}):
        reply = await client.get("/api/file/raw", params={"session_id": sid, "path": name, **extra})
        assert reply.status_code == 200, reply.text
        header = reply.headers["content-disposition"]
        assert all(32 <= ord(c) < 127 for c in header), header
        assert header.endswith("filename*=UTF-8''" + quote(name, safe=""))
        fallback = header.split('filename="')[1].split('"')[0]
        assert fallback and '"' not in fallback and "\\" not in fallback
        if name == "Ω":  # nothing printable is left: a generic name
            assert 'filename="download"' in header


async def test_unknown_or_invalid_session(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/list", params={"session_id": "0123456789ab"})).status_code == 404
    assert (await client.get("/api/list", params={"session_id": "../../x"})).status_code == 400
    assert (await client.get("/api/list")).status_code == 400
    reply = await client.post("/api/file/save", json={"session_id": "0123456789ab", "path": "a", "content": ""})
    assert reply.status_code == 404


async def test_raw_serves_bytes_with_type_and_a_sandbox(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    (root / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\nDATA")
    reply = await client.get("/api/file/raw", params={"session_id": sid, "path": "pic.png"})
    assert reply.status_code == 200
    assert reply.content == b"\x89PNG\r\n\x1a\nDATA"
    assert reply.headers["content-type"] == "image/png"
    assert reply.headers["content-disposition"].startswith("inline;")
    assert any(v.startswith("sandbox") for v in reply.headers.get_list("content-security-policy"))
    assert reply.headers["x-content-type-options"] == "nosniff"
    download = await client.get("/api/file/raw", params={"session_id": sid, "path": "pic.png", "download": 1})
    assert download.headers["content-disposition"] == "attachment; filename=\"pic.png\"; filename*=UTF-8''pic.png"


async def test_raw_html_and_svg_never_run_script(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    (root / "page.html").write_text("<script>alert(1)</script>")
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    for name in ("page.html", "logo.svg"):
        reply = await client.get("/api/file/raw", params={"session_id": sid, "path": name})
        assert reply.headers["content-disposition"].startswith("attachment;"), name
        preview = await client.get("/api/file/raw", params={"session_id": sid, "path": name, "inline": 1})
        assert preview.headers["content-disposition"].startswith("inline;")
        policies = preview.headers.get_list("content-security-policy")
        sandbox = [p for p in policies if p.startswith("sandbox")]
        assert sandbox and "allow-scripts" not in sandbox[0] and "default-src 'none'" in sandbox[0]
    missing = await client.get("/api/file/raw", params={"session_id": sid, "path": "nope.bin"})
    assert missing.status_code == 404


async def test_save_create_and_create_dir(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    saved = await client.post("/api/file/save", json={"session_id": sid, "path": "hello.txt", "content": "bye\n"})
    assert saved.json() == {"ok": True, "path": "hello.txt", "size": 4, "etag": saved.headers["etag"]}
    assert (root / "hello.txt").read_text() == "bye\n"
    missing = await client.post("/api/file/save", json={"session_id": sid, "path": "new.txt", "content": ""})
    assert missing.status_code == 404
    created = await client.post("/api/file/create", json={"session_id": sid, "path": "a/b/new.txt", "content": "x"})
    assert created.json() == {"ok": True, "path": "a/b/new.txt", "size": 1}
    again = await client.post("/api/file/create", json={"session_id": sid, "path": "a/b/new.txt"})
    assert again.status_code == 409
    made = await client.post("/api/file/create-dir", json={"session_id": sid, "path": "empty/dir"})
    assert made.json() == {"ok": True, "path": "empty/dir"}
    assert (root / "empty" / "dir").is_dir()
    wrong_type = await client.post("/api/file/save", json={"session_id": sid, "path": "hello.txt", "content": 5})
    assert wrong_type.status_code == 400


async def test_delete_and_rename(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    renamed = await client.post("/api/file/rename",
                                json={"session_id": sid, "path": "docs/guide.md", "new_name": "manual.md"})
    assert renamed.json() == {"ok": True, "old_path": "docs/guide.md", "new_path": "docs/manual.md"}
    moved = await client.post("/api/file/rename",
                              json={"session_id": sid, "path": "hello.txt", "new_path": "archive/hello.txt"})
    assert moved.json()["new_path"] == "archive/hello.txt"
    for bad in ({"new_name": "x/y"}, {"new_name": ".."}, {}):
        reply = await client.post("/api/file/rename", json={"session_id": sid, "path": "docs/manual.md", **bad})
        assert reply.status_code == 400, bad
    clash = await client.post("/api/file/rename",
                              json={"session_id": sid, "path": "docs/manual.md", "new_path": "archive/hello.txt"})
    assert clash.status_code == 409
    not_empty = await client.post("/api/file/delete", json={"session_id": sid, "path": "docs"})
    assert not_empty.status_code == 400
    gone = await client.post("/api/file/delete", json={"session_id": sid, "path": "docs", "recursive": True})
    assert gone.json() == {"ok": True, "path": "docs"}
    assert not (root / "docs").exists()
    again = await client.post("/api/file/delete", json={"session_id": sid, "path": "docs"})
    assert again.status_code == 404


async def test_upload_into_the_workspace(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    reply = await client.post("/api/upload", data={"session_id": sid},
                              files={"file": ("my photo.png", b"\x89PNGxx", "image/png")})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["filename"] == "my_photo.png"
    assert body["rel_path"] == "my_photo.png"
    assert body["path"] == str(root / "my_photo.png")
    assert body["size"] == 6 and body["mime"] == "image/png" and body["is_image"] is True
    second = await client.post("/api/upload", data={"session_id": sid, "path": "inbox"},
                               files={"file": ("my photo.png", b"other", "image/png")})
    assert second.json()["rel_path"] == "inbox/my_photo.png"
    third = await client.post("/api/upload", data={"session_id": sid, "path": "inbox"},
                              files={"file": ("my photo.png", b"third", "image/png")})
    assert third.json()["rel_path"] == "inbox/my_photo-1.png"
    assert (root / "inbox" / "my_photo-1.png").read_bytes() == b"third"
    sneaky = await client.post("/api/upload", data={"session_id": sid},
                               files={"file": ("../../evil.sh", b"#!/bin/sh", "text/plain")})
    assert sneaky.json()["rel_path"] == "evil.sh"
    outside = await client.post("/api/upload", data={"session_id": sid, "path": "../"},
                                files={"file": ("x.txt", b"x", "text/plain")})
    assert outside.status_code == 400


async def test_upload_over_the_limit_is_413(client: httpx.AsyncClient, sid: str, root: Path) -> None:
    reply = await client.post("/api/upload", data={"session_id": sid},
                              files={"file": ("big.bin", b"x" * (UPLOAD_LIMIT + 1), "application/octet-stream")})
    assert reply.status_code == 413
    assert "too large" in reply.json()["error"]
    assert not (root / "big.bin").exists()
    huge = await client.post("/api/upload", data={"session_id": sid},
                             files={"file": ("huge.bin", b"x" * (UPLOAD_LIMIT + 100_000), "application/octet-stream")})
    assert huge.status_code == 413


async def test_upload_needs_a_session_and_a_file(client: httpx.AsyncClient, sid: str) -> None:
    no_file = await client.post("/api/upload", data={"session_id": sid})
    assert no_file.status_code == 400
    no_session = await client.post("/api/upload", files={"file": ("a.txt", b"a", "text/plain")})
    assert no_session.status_code == 400 and no_session.json()["error"] == "session_id is required"
    unknown = await client.post("/api/upload", data={"session_id": "0123456789ab"},
                                files={"file": ("a.txt", b"a", "text/plain")})
    assert unknown.status_code == 404
    not_multipart = await client.post("/api/upload", json={"session_id": sid})
    assert not_multipart.status_code == 400
