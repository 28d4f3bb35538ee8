"""Workspace-scoped file access on a real directory tree: escapes refused, and every operation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from threadkeep.workspace.files import (
    FileAccessError,
    FileChanged,
    FileConflict,
    FileMissing,
    FileTooLarge,
    NotText,
    Workspace,
    etag_matches,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("print('hello')\n")
    (ws / "README.md").write_text("# Title\nsome text\n")
    (ws / ".env").write_text("SECRET=1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("top secret\n")
    return ws


@pytest.fixture
def ws(root: Path) -> Workspace:
    return Workspace(root)


# -- escapes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../outside/secret.txt", "src/../../outside/secret.txt", "..", "../ws2"])
def test_dotdot_escapes_are_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(FileAccessError, match="escapes the workspace"):
        ws.resolve(path)


def test_dotdot_that_stays_inside_is_fine(ws: Workspace, root: Path) -> None:
    assert ws.resolve("src/../README.md") == root / "README.md"


def test_absolute_paths_outside_are_refused_inside_allowed(ws: Workspace, root: Path, tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="outside the workspace"):
        ws.resolve(str(tmp_path / "outside" / "secret.txt"))
    with pytest.raises(FileAccessError):
        ws.read_text("/etc/passwd")
    assert ws.resolve(str(root / "README.md")) == root / "README.md"


def test_symlinks_out_of_the_workspace_are_refused(ws: Workspace, root: Path, tmp_path: Path) -> None:
    (root / "link-dir").symlink_to(tmp_path / "outside")
    (root / "link-file").symlink_to(tmp_path / "outside" / "secret.txt")
    (root / "dangling").symlink_to(tmp_path / "outside" / "new.txt")
    for path in ("link-dir/secret.txt", "link-file", "link-dir"):
        with pytest.raises(FileAccessError, match="outside the workspace"):
            ws.read_text(path)
    with pytest.raises(FileAccessError):
        ws.save("dangling", "would land outside")
    with pytest.raises(FileAccessError):
        ws.save("link-dir/planted.txt", "x")
    assert not (tmp_path / "outside" / "new.txt").exists()
    assert not (tmp_path / "outside" / "planted.txt").exists()


def test_symlinks_inside_the_workspace_are_followed(ws: Workspace, root: Path) -> None:
    (root / "alias.md").symlink_to(root / "README.md")
    assert ws.read_text("alias.md").content.startswith("# Title")


def test_nul_bytes_are_refused(ws: Workspace) -> None:
    for call in (lambda: ws.resolve("a\x00b"), lambda: ws.delete("a\x00"), lambda: ws.save("x\x00.txt", "")):
        with pytest.raises(FileAccessError, match="NUL"):
            call()


def test_missing_workspace_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileMissing):
        Workspace(tmp_path / "nope")


# -- listing and reading ---------------------------------------------------------------------------------


def test_list_puts_directories_first_and_hides_dotfiles(ws: Workspace) -> None:
    entries, truncated = ws.list_dir(".")
    assert [(e.name, e.type) for e in entries] == [("src", "dir"), ("README.md", "file")]
    assert not truncated
    readme = entries[1].to_dict()
    assert readme["path"] == "README.md" and readme["size"] == 18 and readme["mtime"] > 0
    assert entries[0].size is None
    names = [e.name for e in ws.list_dir(".", hidden=True)[0]]
    assert ".env" in names
    assert [e.path for e in ws.list_dir("src")[0]] == ["src/app.py"]


def test_list_limit_and_errors(ws: Workspace, root: Path, tmp_path: Path) -> None:
    for i in range(5):
        (root / f"f{i}.txt").write_text("x")
    entries, truncated = ws.list_dir(".", limit=3)
    assert len(entries) == 3 and truncated
    with pytest.raises(FileMissing):
        ws.list_dir("nope")
    with pytest.raises(FileAccessError, match="Not a directory"):
        ws.list_dir("README.md")
    (root / "out").symlink_to(tmp_path / "outside" / "secret.txt")
    listed = {e.name: e for e in ws.list_dir(".")[0]}
    assert "out" not in listed  # without a link policy nothing about the outside shows, not even the link


def test_links_are_listed_as_hermes_lists_them(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "docs").mkdir(parents=True, exist_ok=True)
    (outside / "docs" / "guide.md").write_text("# guide")
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "up").symlink_to(root)  # cycles: the root, an ancestor, the folder itself
    (root / "src" / "here").symlink_to(root / "src")
    (root / "loop").symlink_to(root / "loop")  # a self-reference cannot even be resolved
    (root / "inner").symlink_to(root / "src")
    (root / "docs").symlink_to(outside / "docs")
    (root / "etc").symlink_to("/etc")
    (root / "dangling").symlink_to(root / "gone")
    ws = Workspace(root, links=lambda target: not str(target).startswith("/etc"))
    top = ws.list_dir(".")[0]
    assert [e.type for e in top][:3] == ["symlink"] * 3  # links first, then folders, then files
    byname = {e.name: e.to_dict() for e in top}
    assert "loop" not in byname and "etc" not in byname
    assert byname["docs"] == {"name": "docs", "path": "docs", "type": "symlink", "size": None,
                              "mtime": byname["docs"]["mtime"], "target": str(outside / "docs"), "is_dir": True}
    assert byname["inner"]["is_dir"] is True and byname["dangling"]["is_dir"] is False
    assert {e.name for e in ws.list_dir("src")[0]} == {"app.py"}  # `up` and `here` are cycles
    inside_link = ws.list_dir("docs")[0]  # browsable: paths stay the workspace's own
    assert [(e.name, e.path, e.type) for e in inside_link] == [("guide.md", "docs/guide.md", "file")]
    assert ws.read_text("docs/guide.md").to_dict()["path"] == "docs/guide.md"
    assert ws.file("docs/guide.md") == outside / "docs" / "guide.md"
    for escape in ("../outside", "docs/../../outside/docs", "/etc", "docs/../../../etc", "etc"):
        with pytest.raises(FileAccessError):
            ws.list_dir(escape)
    with pytest.raises(FileAccessError):  # writes never follow a link out
        ws.save("docs/new.md", "x")
    strict = Workspace(root)  # the agent's tools: no link out at all
    assert "docs" not in {e.name for e in strict.list_dir(".")[0]}
    with pytest.raises(FileAccessError, match="outside"):
        strict.read_text("docs/guide.md")


def test_read_text_caps_size_and_refuses_binaries(ws: Workspace, root: Path) -> None:
    text = ws.read_text("README.md")
    assert text.to_dict() == {"path": "README.md", "content": "# Title\nsome text\n", "size": 18, "lines": 3,
                              "etag": text.etag}
    (root / "big.txt").write_text("x" * 5000)
    with pytest.raises(FileTooLarge):
        ws.read_text("big.txt", max_bytes=1000)
    (root / "blob.bin").write_bytes(b"\x89PNG\x00\x01\x02")
    with pytest.raises(NotText):
        ws.read_text("blob.bin")
    assert ws.read_bytes("blob.bin") == b"\x89PNG\x00\x01\x02"
    with pytest.raises(FileMissing):
        ws.read_text("missing.txt")
    with pytest.raises(FileAccessError, match="Not a file"):
        ws.read_text("src")


def test_invalid_utf8_text_is_read_with_replacement(ws: Workspace, root: Path) -> None:
    (root / "latin1.txt").write_bytes("café".encode("latin-1"))
    assert ws.read_text("latin1.txt").content == "caf\ufffd"


# -- writing ---------------------------------------------------------------------------------------------


def test_save_creates_parents_and_overwrites(ws: Workspace, root: Path) -> None:
    entry = ws.save("deep/er/new.txt", "hello")
    assert entry.path == "deep/er/new.txt" and entry.size == 5
    ws.save("deep/er/new.txt", "bye")
    assert (root / "deep" / "er" / "new.txt").read_text() == "bye"
    assert not [p for p in (root / "deep" / "er").iterdir() if p.name.endswith(".tmp")]


def test_save_keeps_the_file_mode(ws: Workspace, root: Path) -> None:
    script = root / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    ws.save("run.sh", "#!/bin/sh\necho hi\n")
    assert os.stat(script).st_mode & 0o777 == 0o755


def test_create_refuses_to_overwrite_and_save_needs_an_existing_file(ws: Workspace) -> None:
    with pytest.raises(FileConflict):
        ws.save("README.md", "x", overwrite=False)
    with pytest.raises(FileMissing):
        ws.save("new.txt", "x", create=False)
    with pytest.raises(FileAccessError, match="Is a directory"):
        ws.save("src", "x")
    with pytest.raises(FileAccessError, match="parent"):
        ws.save("README.md/inner.txt", "x")


def test_mkdir(ws: Workspace, root: Path) -> None:
    assert ws.mkdir("a/b").path == "a/b"
    assert (root / "a" / "b").is_dir()
    with pytest.raises(FileConflict):
        ws.mkdir("a/b")


def test_delete_files_and_directories(ws: Workspace, root: Path) -> None:
    ws.delete("README.md")
    assert not (root / "README.md").exists()
    with pytest.raises(FileMissing):
        ws.delete("README.md")
    with pytest.raises(FileAccessError, match="not empty"):
        ws.delete("src")
    ws.delete("src", recursive=True)
    assert not (root / "src").exists()
    ws.mkdir("empty")
    ws.delete("empty")
    for root_path in (".", "", "sub/.."):
        with pytest.raises(FileAccessError):
            ws.delete(root_path)
    assert root.is_dir()


def test_delete_removes_a_symlink_not_its_target(ws: Workspace, root: Path, tmp_path: Path) -> None:
    (root / "link").symlink_to(tmp_path / "outside" / "secret.txt")
    ws.delete("link")
    assert not (root / "link").is_symlink()
    assert (tmp_path / "outside" / "secret.txt").exists()
    with pytest.raises(FileAccessError):
        ws.delete("../outside/secret.txt")
    assert (tmp_path / "outside" / "secret.txt").exists()


def test_rename_and_move(ws: Workspace, root: Path, tmp_path: Path) -> None:
    assert ws.rename("README.md", "docs/README.txt").path == "docs/README.txt"
    assert (root / "docs" / "README.txt").read_text().startswith("# Title")
    with pytest.raises(FileConflict):
        ws.rename("src/app.py", "docs/README.txt")
    with pytest.raises(FileMissing):
        ws.rename("nope.txt", "other.txt")
    with pytest.raises(FileAccessError):
        ws.rename("src/app.py", "../outside/app.py")
    with pytest.raises(FileAccessError, match="into itself"):
        ws.rename("src", "src/inner")
    assert not (tmp_path / "outside" / "app.py").exists()


# -- search ----------------------------------------------------------------------------------------------


def test_search_finds_lines_case_insensitively(ws: Workspace) -> None:
    result = ws.search("HELLO")
    assert [m.to_dict() for m in result.matches] == [{"path": "src/app.py", "line": 1, "text": "print('hello')"}]
    assert not ws.search("HELLO", case_sensitive=True).matches
    assert [m.path for m in ws.search(r"^#\s+\w+", regex=True).matches] == ["README.md"]
    assert [m.path for m in ws.search("e", glob="*.py").matches] == ["src/app.py"]
    assert [m.path for m in ws.search("text", "README.md").matches] == ["README.md"]


def test_search_skips_binaries_big_files_vcs_and_dependencies(ws: Workspace, root: Path) -> None:
    for folder in (".git", "node_modules", "src/__pycache__"):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.txt").write_text("needle\n")
    (root / "blob.bin").write_bytes(b"needle\x00\x01")
    (root / "big.txt").write_text("needle\n" + "x" * 2000)
    (root / "ok.txt").write_text("a needle here\n")
    result = ws.search("needle", max_file_bytes=1000)
    assert [m.path for m in result.matches] == ["ok.txt"]


def test_search_is_bounded(ws: Workspace, root: Path) -> None:
    (root / "many.txt").write_text("hit\n" * 50)
    result = ws.search("hit", max_matches=10)
    assert len(result.matches) == 10 and result.truncated
    for i in range(30):
        (root / f"f{i:02}.txt").write_text("other\n")
    assert ws.search("other", max_files=5).truncated


def test_search_does_not_follow_links_out(ws: Workspace, root: Path, tmp_path: Path) -> None:
    (root / "out-dir").symlink_to(tmp_path / "outside")
    (root / "out-file.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    assert not ws.search("secret").matches


def test_search_refuses_bad_input(ws: Workspace) -> None:
    with pytest.raises(FileAccessError, match="empty"):
        ws.search("")
    with pytest.raises(FileAccessError, match="regular expression"):
        ws.search("(unclosed", regex=True)
    with pytest.raises(FileAccessError):
        ws.search("x", "../outside")


@pytest.mark.parametrize("path", ["a" * 300, "x/" * 2000, "a" * 5000])
def test_absurd_paths_are_clear_errors(ws: Workspace, path: str) -> None:
    for call in (ws.read_text, ws.mkdir, ws.delete, lambda p: ws.save(p, "x"), lambda p: ws.rename("README.md", p)):
        with pytest.raises(FileAccessError):
            call(path)


def test_names_that_are_not_utf8_are_listed_printably(ws: Workspace, root: Path) -> None:
    os.close(os.open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY))
    names = [e.name for e in ws.list_dir(".")[0]]
    assert "caf\ufffd.txt" in names
    for name in names:
        name.encode("utf-8")


# -- conditional saves -----------------------------------------------------------------------------------

def test_a_save_over_the_version_read_succeeds_and_a_stale_one_is_refused(ws: Workspace, root: Path) -> None:
    read = ws.read_text("README.md")
    assert read.etag.startswith('"') and read.etag == ws.read_text("README.md").etag
    ws.save("README.md", "mine\n", create=False, if_match=read.etag)
    assert (root / "README.md").read_text() == "mine\n"
    with pytest.raises(FileChanged) as stale:  # the same version again: it is no longer the current one
        ws.save("README.md", "late\n", create=False, if_match=read.etag)
    assert stale.value.status == 412 and stale.value.extra["etag"] == ws.read_text("README.md").etag
    assert (root / "README.md").read_text() == "mine\n"
    ws.save("README.md", "any\n", create=False, if_match="*")
    ws.save("README.md", "no condition: the last write wins\n", create=False)
    assert (root / "README.md").read_text() == "no condition: the last write wins\n"


def test_if_match_is_compared_strongly() -> None:
    tag = '"abc"'
    assert etag_matches('"abc"', tag) and etag_matches('"x", "abc"', tag) and etag_matches("*", tag)
    assert etag_matches("abc", tag)  # a bare tag, as a JSON field may carry it
    assert not etag_matches('W/"abc"', tag) and not etag_matches('"abd"', tag) and not etag_matches("", tag)
