"""The workspace panel: browse, preview (highlighted text, images, binaries), edit and save, create,
rename, delete, upload (drag-and-drop and the file input), errors in the server's words, dark mode,
phone layout, refresh after the chat's tools change files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI, Reply, ToolCall
from tests.http_client import Client
from tests.live import LiveServer
from tests.ui.conftest import ARTIFACTS, _server


def _shot(page: Any, name: str) -> None:
    """A screenshot of an intermediate state (the fixture takes the final one), for review."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workspace-{name}.png"))


def _png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x40\x40" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _session(client: Client) -> str:
    status, body = client.post("/api/session/new", {})
    assert status == 200, body
    return body["session"]["session_id"]


def _workspace(client: Client, sid: str) -> Path:
    status, body = client.get(f"/api/session?session_id={sid}&messages=0")
    assert status == 200, body
    return Path(body["session"]["workspace"])


def _open_panel(page: Any, server: LiveServer, sid: str) -> Any:
    page.goto(server.base + "/#/s/" + sid)
    page.wait_for_selector("html[data-ready='true']")
    page.keyboard.press("Control+j")
    panel = page.locator("#workspace")
    expect(page.locator("#app")).to_have_attribute("data-workspace", "open")
    expect(panel.get_by_role("heading", name="Workspace")).to_be_visible()
    expect(panel.get_by_role("tree", name="Files")).to_be_attached()
    return panel


def _item(panel: Any, name: str) -> Any:
    return panel.get_by_role("treeitem", name=name, exact=True)


def _row_actions(panel: Any, name: str) -> Any:
    item = _item(panel, name)
    item.locator(".ws-row").first.hover()
    return item.get_by_role("button", name="File actions").first


def _seed(root: Path) -> None:
    (root / "src" / "lib").mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# Project\n\nSome *notes*.\n")
    (root / "src" / "app.py").write_text('def hello(name):\n    return f"hi {name}"\n\n\nprint(hello("x"))\n')
    (root / "src" / "lib" / "util.js").write_text("export const answer = () => 42;\n")


def test_browse_folders_and_preview_text_with_highlighting(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    _seed(root)
    panel = _open_panel(page, ui_server, sid)
    expect(panel.locator(".ws-path")).to_have_attribute("title", str(root))

    src = _item(panel, "src")
    expect(src).to_have_attribute("aria-expanded", "false")
    expect(_item(panel, "README.md")).to_contain_text("B")  # its size
    src.locator(".ws-row").first.click()
    expect(src).to_have_attribute("aria-expanded", "true")
    expect(_item(panel, "app.py")).to_be_visible()
    _item(panel, "lib").locator(".ws-row").first.click()
    expect(_item(panel, "util.js")).to_be_visible()

    _item(panel, "app.py").click()
    preview = panel.get_by_role("region", name="File preview")
    expect(preview.locator(".ws-preview-filename")).to_have_text("app.py")
    expect(preview.locator(".ws-meta-folder")).to_have_text("src/")
    code = preview.locator(".ws-src code")
    expect(code).to_contain_text('def hello(name):')
    expect(code).to_have_class("language-python hljs")
    expect(code.locator(".hljs-keyword").first).to_have_text("def")
    expect(preview.locator(".ws-gutter")).to_have_text("1\n2\n3\n4\n5")

    # A wider panel for reading, on a desktop.
    width = panel.bounding_box()["width"]
    preview.get_by_role("button", name="Wide preview").click()
    expect(preview.get_by_role("button", name="Wide preview")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("(w) => document.querySelector('#workspace').getBoundingClientRect().width > w + 200",
                           arg=width)
    preview.get_by_role("button", name="Wide preview").click()

    # Back returns to the tree as it was (folders still open); Esc does the same.
    preview.get_by_role("button", name="Back to files").click()
    expect(_item(panel, "util.js")).to_be_visible()
    expect(_item(panel, "app.py")).to_be_focused()
    _item(panel, "README.md").click()
    expect(preview.locator(".ws-src code")).to_contain_text("# Project")
    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()
    expect(_item(panel, "README.md")).to_be_focused()


def test_keyboard_navigation_in_the_tree(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    _seed(_workspace(api, sid))
    panel = _open_panel(page, ui_server, sid)
    src = _item(panel, "src")
    expect(src).to_be_focused()  # opening the panel from the keyboard lands in the tree
    page.keyboard.press("ArrowRight")
    expect(src).to_have_attribute("aria-expanded", "true")
    expect(_item(panel, "lib")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(_item(panel, "lib")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(_item(panel, "app.py")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(src).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(src).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("End")
    expect(_item(panel, "README.md")).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel.locator(".ws-src code")).to_contain_text("# Project")


def test_image_preview_and_binary_file(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    (root / "dot.png").write_bytes(_png())
    (root / "blob.bin").write_bytes(b"\x00\x01\x02binary" * 10)
    panel = _open_panel(page, ui_server, sid)

    _item(panel, "dot.png").click()
    img = panel.get_by_role("img", name="dot.png")
    expect(img).to_be_visible()
    page.wait_for_function("() => document.querySelector('#workspace .ws-img').naturalWidth === 3")
    expect(panel.locator(".ws-meta-size")).to_contain_text("3 \u00d7 2")
    panel.get_by_role("button", name="Back to files").click()

    _item(panel, "blob.bin").click()
    expect(panel.get_by_text("Binary file")).to_be_visible()
    link = panel.locator(".ws-message").get_by_role("link", name="Download")
    expect(link).to_have_attribute("href", f"/api/file/raw?session_id={sid}&path=blob.bin&download=1")
    expect(panel.get_by_role("button", name="Edit")).to_have_count(0)


def test_edit_and_save_with_unsaved_changes_guard(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    (root / "notes.txt").write_text("first line\n")
    panel = _open_panel(page, ui_server, sid)
    _item(panel, "notes.txt").click()
    panel.get_by_role("button", name="Edit").click()
    editor = panel.get_by_role("textbox", name="Contents of notes.txt")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("first line\n")
    dirty = panel.locator(".ws-dirty")
    save = panel.get_by_role("button", name="Save")
    expect(dirty).to_be_hidden()
    expect(save).to_be_disabled()

    editor.fill("first line\nsecond line\n")
    expect(dirty).to_be_visible()
    expect(save).to_be_enabled()
    _shot(page, "editing-unsaved")
    page.keyboard.press("Control+s")
    expect(dirty).to_be_hidden()
    expect(panel.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert (root / "notes.txt").read_text() == "first line\nsecond line\n"

    # Leaving with unsaved edits asks first; "Keep editing" keeps them, "Discard" drops them.
    editor.fill("scratch")
    panel.get_by_role("button", name="Back to files").click()
    dialog = page.get_by_role("dialog", name="Discard unsaved changes?")
    expect(dialog).to_be_visible()
    _shot(page, "discard-dialog")
    dialog.get_by_role("button", name="Keep editing").click()
    expect(editor).to_have_value("scratch")
    panel.get_by_role("button", name="Cancel").click()
    page.get_by_role("dialog").get_by_role("button", name="Discard").click()
    expect(panel.locator(".ws-src code")).to_have_text("first line\nsecond line\n")
    assert (root / "notes.txt").read_text() == "first line\nsecond line\n"

    # The Save button works too, and Done returns to the highlighted preview.
    panel.get_by_role("button", name="Edit").click()
    editor.fill("third\n")
    save.click()
    expect(dirty).to_be_hidden()
    assert (root / "notes.txt").read_text() == "third\n"
    panel.get_by_role("button", name="Done").click()
    expect(panel.locator(".ws-src code")).to_have_text("third\n")


def test_a_save_over_a_file_changed_on_disk_offers_reload_or_overwrite(page: Any, ui_server: LiveServer,
                                                                      api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    notes = root / "notes.txt"
    notes.write_text("v1\n")
    panel = _open_panel(page, ui_server, sid)
    _item(panel, "notes.txt").click()
    panel.get_by_role("button", name="Edit").click()
    editor = panel.get_by_role("textbox", name="Contents of notes.txt")
    expect(editor).to_have_value("v1\n")
    dirty = panel.locator(".ws-dirty")
    editor.fill("mine\n")
    notes.write_text("theirs\n")  # saved elsewhere meanwhile (another tab, the agent)
    page.keyboard.press("Control+s")
    dialog = page.get_by_role("dialog", name="“notes.txt” changed on disk")
    expect(dialog).to_be_visible()
    _shot(page, "save-conflict")
    # "Keep editing" writes nothing and keeps the edits.
    dialog.get_by_role("button", name="Keep editing").click()
    expect(dialog).to_be_hidden()
    expect(editor).to_have_value("mine\n")
    expect(dirty).to_be_visible()
    assert notes.read_text() == "theirs\n"
    # "Overwrite" writes the edits over that version.
    page.keyboard.press("Control+s")
    dialog.get_by_role("button", name="Overwrite").click()
    expect(dirty).to_be_hidden()
    assert notes.read_text() == "mine\n"
    # "Reload from disk" drops the edits for what is there now; a save after it needs no question.
    notes.write_text("newer\n")
    editor.fill("mine again\n")
    page.keyboard.press("Control+s")
    dialog.get_by_role("button", name="Reload from disk").click()
    expect(editor).to_have_value("newer\n")
    assert notes.read_text() == "newer\n"
    editor.fill("after the reload\n")
    page.keyboard.press("Control+s")
    expect(dirty).to_be_hidden()
    expect(dialog).to_have_count(0)
    assert notes.read_text() == "after the reload\n"


def test_create_file_and_folder(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    panel = _open_panel(page, ui_server, sid)
    expect(panel.get_by_text("This workspace is empty")).to_be_visible()
    _shot(page, "empty")

    panel.get_by_role("button", name="New folder").click()
    name = panel.get_by_role("textbox", name="Folder name")
    expect(name).to_be_focused()
    name.fill("docs")
    name.press("Enter")
    docs = _item(panel, "docs")
    expect(docs).to_have_attribute("aria-expanded", "true")
    expect(docs).to_contain_text("Empty folder")
    assert (root / "docs").is_dir()

    # New files go into the folder last opened, and open in the editor.
    panel.get_by_role("button", name="New file").click()
    name = panel.get_by_role("textbox", name="File name")
    name.fill("todo.md")
    _shot(page, "new-file-input")
    name.press("Enter")
    editor = panel.get_by_role("textbox", name="Contents of todo.md")
    expect(editor).to_be_focused()
    assert (root / "docs" / "todo.md").read_text() == ""
    editor.fill("- [ ] ship it\n")
    page.keyboard.press("Control+s")
    expect(panel.locator(".ws-dirty")).to_be_hidden()
    assert (root / "docs" / "todo.md").read_text() == "- [ ] ship it\n"

    # A name that exists already: the server's 409 is shown, the input stays for another try; Esc cancels.
    panel.get_by_role("button", name="Done").click()
    panel.get_by_role("button", name="Back to files").click()
    panel.get_by_role("button", name="New file").click()
    name = panel.get_by_role("textbox", name="File name")
    name.fill("todo.md")
    name.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="already exists")).to_be_visible()
    expect(name).to_be_focused()
    name.press("Escape")
    expect(name).to_have_count(0)
    expect(page.locator("#app")).to_have_attribute("data-workspace", "open")

    # A path makes the folders on the way, which open.
    panel.get_by_role("button", name="New file").click()
    panel.get_by_role("textbox", name="File name").fill("deep/er/x.txt")
    page.keyboard.press("Enter")
    expect(panel.get_by_role("textbox", name="Contents of x.txt")).to_be_focused()
    assert (root / "docs" / "deep" / "er" / "x.txt").exists()
    panel.get_by_role("button", name="Done").click()
    panel.get_by_role("button", name="Back to files").click()
    expect(_item(panel, "er")).to_have_attribute("aria-expanded", "true")
    expect(_item(panel, "x.txt")).to_be_focused()


def test_rename_and_delete_from_the_menus(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    _seed(root)
    (root / "old.txt").write_text("keep me\n")
    panel = _open_panel(page, ui_server, sid)

    _row_actions(panel, "old.txt").click()
    menu = page.get_by_role("menu", name="Actions for old.txt")
    expect(menu).to_be_visible()
    _shot(page, "menu")
    menu.get_by_role("menuitem", name="Rename").click()
    name = panel.get_by_role("textbox", name="New name")
    expect(name).to_be_focused()
    assert page.evaluate("() => [document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [0, 3]
    name.fill("new.txt")
    name.press("Enter")
    expect(_item(panel, "new.txt")).to_be_visible()
    expect(_item(panel, "old.txt")).to_have_count(0)
    assert not (root / "old.txt").exists() and (root / "new.txt").read_text() == "keep me\n"

    # Delete a file from the context menu, after a confirmation.
    _item(panel, "new.txt").locator(".ws-row").first.click(button="right")
    page.get_by_role("menu").get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete “new.txt”?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    assert (root / "new.txt").exists()
    _item(panel, "new.txt").locator(".ws-row").first.click(button="right")
    page.get_by_role("menu").get_by_role("menuitem", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(_item(panel, "new.txt")).to_have_count(0)
    assert not (root / "new.txt").exists()

    # A folder with contents goes as a whole (keyboard: Delete on the focused row).
    _item(panel, "src").focus()
    page.keyboard.press("Delete")
    expect(page.get_by_role("dialog")).to_contain_text("everything in it")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(_item(panel, "src")).to_have_count(0)
    assert not (root / "src").exists()


def _drop(page: Any, target: str, files: list[tuple[str, str]]) -> None:
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, text] of files) dt.items.add(new File([text], name, { type: "text/plain" }));
            return dt;
        }""", files)
    for kind in ("dragenter", "dragover"):
        page.dispatch_event(target, kind, {"dataTransfer": transfer})
    expect(page.locator("#workspace .ws-drop")).to_be_visible()
    _shot(page, "drop-zone")
    page.dispatch_event(target, "drop", {"dataTransfer": transfer})


def test_upload_by_drag_and_drop_and_file_input(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    (root / "inbox").mkdir()
    (root / "a.txt").write_text("existing\n")
    panel = _open_panel(page, ui_server, sid)

    # Dropped on the panel: into the workspace root; a name in use gets a suffix.
    _drop(page, "#workspace .ws-tree-wrap", [("a.txt", "dropped"), ("b.txt", "bee")])
    expect(page.locator("#workspace .ws-drop")).to_be_hidden()
    expect(_item(panel, "a-1.txt")).to_be_visible()
    expect(_item(panel, "b.txt")).to_be_visible()
    expect(page.locator(".toast").filter(has_text="Uploaded 2 files")).to_be_visible()
    assert (root / "a-1.txt").read_text() == "dropped" and (root / "b.txt").read_text() == "bee"
    assert (root / "a.txt").read_text() == "existing\n"

    # Dropped on a folder row: into that folder, which opens.
    _drop(page, '#workspace [role="treeitem"][data-path="inbox"] .ws-row', [("c.txt", "sea")])
    expect(_item(panel, "inbox")).to_have_attribute("aria-expanded", "true")
    expect(_item(panel, "c.txt")).to_be_visible()
    assert (root / "inbox" / "c.txt").read_text() == "sea"

    # The Upload button's file input (into the folder last opened: inbox).
    panel.locator("input[type=file]").set_input_files([
        {"name": "d.md", "mimeType": "text/markdown", "buffer": b"# d\n"},
        {"name": "e.png", "mimeType": "image/png", "buffer": _png()},
    ])
    expect(_item(panel, "d.md")).to_be_visible()
    expect(_item(panel, "e.png")).to_be_visible()
    assert (root / "inbox" / "d.md").read_bytes() == b"# d\n"
    assert (root / "inbox" / "e.png").read_bytes() == _png()


def test_limits_upload_too_large_and_file_too_large_to_preview(open_page: Any, tmp_path: Path) -> None:
    server = _server(tmp_path, {"THREADKEEP_UPLOAD_MAX_BYTES": "1000", "THREADKEEP_FILE_READ_MAX_BYTES": "1024"})
    try:
        client = Client(server.base)
        sid = _session(client)
        root = _workspace(client, sid)
        page = open_page(server)
        panel = _open_panel(page, server, sid)
        panel.locator("input[type=file]").set_input_files([
            {"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 5000},
            {"name": "small.txt", "mimeType": "text/plain", "buffer": b"ok"},
        ])
        expect(page.get_by_role("alert").filter(has_text="big.txt")).to_contain_text("File too large (max 1000 bytes)")
        expect(_item(panel, "small.txt")).to_be_visible()  # the others still go
        _shot(page, "upload-too-large")
        expect(_item(panel, "big.txt")).to_have_count(0)
        assert not (root / "big.txt").exists() and (root / "small.txt").read_bytes() == b"ok"

        (root / "huge.log").write_text("line\n" * 500)
        panel.get_by_role("button", name="Refresh").click()
        _item(panel, "huge.log").click()
        expect(panel.get_by_text("Too large to preview")).to_be_visible()
        expect(panel.locator(".ws-message")).to_contain_text("huge.log is too large (2500 bytes; the limit is 1024)")
        expect(panel.locator(".ws-message").get_by_role("link", name="Download (2.4 KB)")).to_be_visible()
        client.close()
    finally:
        server.stop()


def test_links_out_of_the_workspace_show_as_hermes_shows_them(
        page: Any, ui_server: LiveServer, api: Client, tmp_path: Path) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "notes.txt").write_text("shared notes\n")
    (root / "shared").symlink_to(outside)  # a folder elsewhere: listed as a link, browsable (single user)
    (root / "passwd").symlink_to("/etc/passwd")  # into a system tree: not listed at all
    panel = _open_panel(page, ui_server, sid)
    expect(_item(panel, "shared")).to_contain_text("link")
    expect(_item(panel, "passwd")).to_have_count(0)
    _item(panel, "shared").locator(".ws-row").first.click()
    _item(panel, "notes.txt").click()
    expect(panel.get_by_text("shared notes")).to_be_visible()


def test_tool_changes_refresh_the_open_folders(page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    _seed(root)
    panel = _open_panel(page, ui_server, sid)
    _item(panel, "src").locator(".ws-row").first.click()
    _item(panel, "README.md").click()
    (root / "src" / "made_by_tool.py").write_text("x = 1\n")
    (root / "README.md").write_text("# Rewritten by a tool\n")
    page.evaluate("(sid) => import('/static/js/bus.js')"
                  ".then((bus) => bus.emit('workspace-changed', {session_id: sid}))", sid)
    expect(panel.locator(".ws-src code")).to_contain_text("Rewritten by a tool")
    panel.get_by_role("button", name="Back to files").click()
    expect(_item(panel, "made_by_tool.py")).to_be_visible()


def test_a_tool_writing_a_file_shows_up_in_the_open_tree(
        page: Any, ui_server: LiveServer, api: Client, fake_openai: FakeOpenAI) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    (root / "out").mkdir()
    panel = _open_panel(page, ui_server, sid)
    _item(panel, "out").locator(".ws-row").first.click()
    expect(panel.get_by_text("Empty folder")).to_be_visible()
    call = ToolCall(id="call_ws1", name="write_file", arguments='{"path": "out/report.md", "content": "# Report"}')
    fake_openai.enqueue(Reply(text=[], tool_calls=[call]), Reply(text=["Done."]))
    box = page.get_by_label("Message", exact=True)
    box.fill("Write the report")
    box.press("Enter")
    page.locator(".tool-card[data-tool-call-id='call_ws1']").get_by_role("button", name="Approve").click()
    expect(_item(panel, "report.md")).to_be_visible()
    assert (root / "out" / "report.md").read_text() == "# Report"


def test_sessions_keep_their_own_open_folders(page: Any, ui_server: LiveServer, api: Client) -> None:
    first = _session(api)
    _seed(_workspace(api, first))
    second = _session(api)
    panel = _open_panel(page, ui_server, first)
    _item(panel, "src").locator(".ws-row").first.click()
    expect(_item(panel, "app.py")).to_be_visible()
    page.goto(ui_server.base + "/#/s/" + second)
    expect(_item(panel, "src")).to_have_attribute("aria-expanded", "false")
    page.goto(ui_server.base + "/#/s/" + first)
    expect(_item(panel, "src")).to_have_attribute("aria-expanded", "true")
    expect(_item(panel, "app.py")).to_be_visible()

    # An unsaved draft survives a trip to another session (and nothing is written meanwhile).
    _item(panel, "app.py").click()
    panel.get_by_role("button", name="Edit").click()
    panel.get_by_role("textbox", name="Contents of app.py").fill("draft = True\n")
    page.goto(ui_server.base + "/#/s/" + second)
    expect(panel.get_by_role("textbox", name="Contents of app.py")).to_have_count(0)
    page.goto(ui_server.base + "/#/s/" + first)
    expect(panel.get_by_role("textbox", name="Contents of app.py")).to_have_value("draft = True\n")
    expect(panel.locator(".ws-dirty")).to_be_visible()
    assert "def hello" in (_workspace(api, first) / "src" / "app.py").read_text()
    panel.get_by_role("button", name="Cancel").click()
    page.get_by_role("dialog").get_by_role("button", name="Discard").click()
    panel.get_by_role("button", name="Back to files").click()
    # No session: an empty state, and the close button closes the panel.
    page.goto(ui_server.base + "/#/")
    expect(panel.get_by_text("No session open")).to_be_visible()
    expect(panel.get_by_role("button", name="New file")).to_be_disabled()
    panel.get_by_role("button", name="Close workspace panel").click()
    expect(page.locator("#app")).to_have_attribute("data-workspace", "closed")


def test_dark_mode(open_page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    _seed(_workspace(api, sid))
    page = open_page(ui_server, color_scheme="dark")
    panel = _open_panel(page, ui_server, sid)
    expect(page.locator("html")).to_have_attribute("data-scheme", "dark")
    _item(panel, "src").locator(".ws-row").first.click()
    _item(panel, "app.py").click()
    expect(panel.locator(".ws-src .hljs-keyword").first).to_be_visible()
    background = panel.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background == "rgb(26, 27, 32)"  # --panel in the dark theme
    colour = panel.locator(".ws-preview-filename").evaluate("(el) => getComputedStyle(el).color")
    assert colour == "rgb(236, 236, 241)"


def test_phone_drawer_fits(open_page: Any, ui_server: LiveServer, api: Client) -> None:
    sid = _session(api)
    root = _workspace(api, sid)
    _seed(root)
    (root / "a-file-with-a-really-long-name-that-must-be-truncated-nicely.txt").write_text("long\n")
    page = open_page(ui_server, viewport=(390, 844))
    panel = _open_panel(page, ui_server, sid)
    page.wait_for_function("() => document.querySelector('#workspace').getBoundingClientRect().right <= 390.5")
    box = panel.bounding_box()
    assert box is not None and 360 <= box["width"] <= 370 and box["height"] == 844, box
    for name in ("New file", "New folder", "Upload files", "Refresh", "Close workspace panel"):
        button = panel.get_by_role("button", name=name)
        b = button.bounding_box()
        assert b is not None and b["x"] >= box["x"] and b["x"] + b["width"] <= 390 and b["width"] >= 36, name
    overflow = panel.evaluate(
        "(el) => [...el.querySelectorAll('.ws-head, .ws-tree-wrap')].map((e) => e.scrollWidth - e.clientWidth)")
    assert overflow == [0, 0]
    _item(panel, "src").locator(".ws-row").first.click()
    _item(panel, "app.py").click()
    expect(panel.locator(".ws-src code")).to_contain_text("def hello")
    head = panel.locator(".ws-preview-head")
    assert head.evaluate("(el) => el.scrollWidth - el.clientWidth") == 0
