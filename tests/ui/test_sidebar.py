"""The sessions sidebar: list, groups, paging, search, per-row actions, Archived view, projects, phone drawer."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.http_client import Client
from tests.live import LiveServer

DAY = 86_400


# ---- helpers ---------------------------------------------------------------------------------------------

def make(api: Client, title: str | None = None, *, text: str | None = None, ago_days: float | None = None,
         pinned: bool = False, project_id: str | None = None) -> dict[str, Any]:
    """A session through the public API: a title, optionally a message (now or `ago_days` back)."""
    if ago_days is not None:
        when = time.time() - ago_days * DAY
        status, data = api.post("/api/session/import", {
            "title": title, "pinned": pinned,
            "messages": [{"role": "user", "content": text or "hello", "timestamp": when},
                         {"role": "assistant", "content": "ok", "timestamp": when + 1}]})
        assert status == 200, data
        session: dict[str, Any] = data["session"]
    else:
        status, data = api.post("/api/session/new", {"title": title} if title else {})
        assert status == 200, data
        session = data["session"]
        if text is not None:
            status, data = api.post("/api/session/append", {"session_id": session["session_id"], "messages": [
                {"role": "user", "content": text}, {"role": "assistant", "content": "Noted."}]})
            assert status == 200, data
        if pinned:
            assert api.post("/api/session/pin", {"session_id": session["session_id"], "pinned": True})[0] == 200
    if project_id is not None:
        assert api.post("/api/session/move", {"session_id": session["session_id"], "project_id": project_id})[0] == 200
    return session


def session_of(api: Client, session_id: str) -> tuple[int, Any]:
    return api.get(f"/api/session?session_id={session_id}&messages=0")


def sidebar(page: Any) -> Any:
    return page.get_by_role("complementary", name="Sessions")


def link(page: Any, title: str) -> Any:
    return sidebar(page).get_by_role("link", name=title, exact=True)


def row(page: Any, title: str) -> Any:
    return sidebar(page).locator("li.sb-item").filter(has=page.get_by_role("link", name=title, exact=True))


def group(page: Any, name: str) -> Any:
    return sidebar(page).get_by_role("region", name=name, exact=True)


def menu_action(page: Any, title: str, *path: str) -> None:
    item = row(page, title)
    item.hover()
    item.get_by_role("button", name="Session actions").click()
    menu = page.get_by_role("menu")
    for step in path:
        menu.get_by_role("menuitem", name=step, exact=True).click()


def reload(page: Any) -> None:
    page.reload()
    page.wait_for_selector("html[data-ready='true']")


# ---- list, groups, selection -----------------------------------------------------------------------------

def test_empty_list_then_new_chat_appears_selected(page: Any, api: Client) -> None:
    expect(sidebar(page).get_by_text("No chats yet — start one")).to_be_visible()
    sidebar(page).get_by_role("button", name="New chat").first.click()
    expect(link(page, "Untitled")).to_have_attribute("aria-current", "page")
    expect(group(page, "Today")).to_be_visible()
    expect(sidebar(page).get_by_text("No chats yet — start one")).to_be_hidden()
    sessions = api.get("/api/sessions")[1]["sessions"]
    assert len(sessions) == 1
    assert page.url.endswith(f"#/s/{sessions[0]['session_id']}")


def test_rows_are_grouped_by_recency_and_a_click_selects(page: Any, api: Client) -> None:
    make(api, "Ancient history", ago_days=400)
    make(api, "Last month", ago_days=20)
    make(api, "Earlier this week", ago_days=4)
    make(api, "Yesterday's chat", ago_days=1.02)
    fresh = make(api, "Fresh one", text="hi")
    reload(page)
    expect(group(page, "Today").get_by_role("link", name="Fresh one")).to_be_visible()
    expect(group(page, "Previous 7 days").get_by_role("link", name="Earlier this week")).to_be_visible()
    expect(group(page, "Previous 30 days").get_by_role("link", name="Last month")).to_be_visible()
    expect(group(page, "Older").get_by_role("link", name="Ancient history")).to_be_visible()
    headings = sidebar(page).get_by_role("heading").all_inner_texts()
    order = [h for h in ("Today", "Yesterday", "Previous 7 days", "Previous 30 days", "Older") if h in headings]
    assert order == [h for h in headings if h in order]

    link(page, "Fresh one").click()
    expect(link(page, "Fresh one")).to_have_attribute("aria-current", "page")
    assert page.url.endswith(f"#/s/{fresh['session_id']}")
    link(page, "Last month").click()
    expect(link(page, "Last month")).to_have_attribute("aria-current", "page")
    expect(link(page, "Fresh one")).not_to_have_attribute("aria-current", "page")
    # Keyboard: rows are links; arrows move between them.
    link(page, "Last month").focus()
    page.keyboard.press("ArrowUp")
    expect(link(page, "Earlier this week")).to_be_focused()


def test_a_reply_marks_the_row_streaming_then_titles_it_and_moves_it_up(
        page: Any, api: Client, fake_openai: FakeOpenAI) -> None:
    make(api, "Older chat", ago_days=4)
    make(api, "Recent chat", text="hi")
    reload(page)
    fake_openai.enqueue(Reply(text=["One", " two", " three"], delay=0.4))
    sidebar(page).get_by_role("button", name="New chat").first.click()
    expect(link(page, "Untitled")).to_have_attribute("aria-current", "page")
    box = page.get_by_label("Message", exact=True)
    box.fill("Plan the garden beds")
    box.press("Enter")
    live = sidebar(page).get_by_role("link", name=re.compile(r"responding"))
    expect(live).to_be_visible()
    expect(live.locator(".sb-live")).to_be_visible()
    expect(link(page, "Plan the garden beds")).to_be_visible(timeout=15_000)  # titled, no longer streaming
    expect(sidebar(page).locator(".sb-live")).to_have_count(0)
    today = group(page, "Today").get_by_role("link")
    expect(today.first).to_have_text("Plan the garden beds")

    # Activity moves a row to the top of Today.
    link(page, "Older chat").click()
    expect(group(page, "Previous 7 days").get_by_role("link", name="Older chat")).to_be_visible()
    fake_openai.enqueue(Reply(text=["Sure."]))
    box.fill("One more thing")
    box.press("Enter")
    expect(today.first).to_have_text("Older chat", timeout=15_000)
    expect(group(page, "Previous 7 days")).to_be_hidden()


# ---- per-row actions -------------------------------------------------------------------------------------

def test_rename_inline_saves_on_enter_and_cancels_on_escape(page: Any, api: Client) -> None:
    s = make(api, "Old name")
    reload(page)
    menu_action(page, "Old name", "Rename")
    box = sidebar(page).get_by_role("textbox", name="Chat title")
    expect(box).to_be_focused()
    expect(box).to_have_value("Old name")
    box.fill("Brand new name")
    box.press("Enter")
    expect(link(page, "Brand new name")).to_be_visible()
    expect(box).to_be_hidden()
    assert session_of(api, s["session_id"])[1]["session"]["title"] == "Brand new name"

    menu_action(page, "Brand new name", "Rename")
    box.fill("Not this")
    box.press("Escape")
    expect(link(page, "Brand new name")).to_be_visible()
    expect(link(page, "Brand new name")).to_be_focused()
    assert session_of(api, s["session_id"])[1]["session"]["title"] == "Brand new name"

    # F2 on a focused row renames too.
    link(page, "Brand new name").focus()
    page.keyboard.press("F2")
    expect(box).to_be_focused()
    box.fill("Via F2")
    box.press("Enter")
    expect(link(page, "Via F2")).to_be_visible()


def test_pin_moves_the_row_to_pinned_and_unpin_moves_it_back(page: Any, api: Client) -> None:
    make(api, "Oldest")
    make(api, "Middle")
    make(api, "Newest")
    reload(page)
    expect(group(page, "Pinned")).to_be_hidden()
    menu_action(page, "Oldest", "Pin")
    expect(group(page, "Pinned").get_by_role("link", name="Oldest")).to_be_visible()
    assert [s["title"] for s in api.get("/api/sessions?pinned=true")[1]["sessions"]] == ["Oldest"]
    first_heading = sidebar(page).get_by_role("heading").first
    expect(first_heading).to_have_text("Pinned")
    reload(page)
    expect(group(page, "Pinned").get_by_role("link", name="Oldest")).to_be_visible()
    menu_action(page, "Oldest", "Unpin")
    expect(group(page, "Pinned")).to_be_hidden()
    expect(group(page, "Today").get_by_role("link", name="Oldest")).to_be_visible()


def test_archive_hides_the_row_and_the_archived_view_shows_and_unarchives_it(page: Any, api: Client) -> None:
    s = make(api, "Keep me around")
    make(api, "Stays")
    reload(page)
    menu_action(page, "Keep me around", "Archive")
    expect(link(page, "Keep me around")).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Archived “Keep me around”")).to_be_visible()
    assert session_of(api, s["session_id"])[1]["session"]["archived"] is True

    archived = sidebar(page).get_by_role("button", name="Archived")
    archived.click()
    expect(archived).to_have_attribute("aria-pressed", "true")
    expect(sidebar(page).get_by_role("navigation", name="Archived chats")).to_be_visible()
    expect(link(page, "Keep me around")).to_be_visible()
    expect(link(page, "Stays")).to_have_count(0)
    menu_action(page, "Keep me around", "Unarchive")
    expect(link(page, "Keep me around")).to_have_count(0)
    expect(sidebar(page).get_by_text("No archived chats")).to_be_visible()
    assert session_of(api, s["session_id"])[1]["session"]["archived"] is False

    sidebar(page).get_by_role("button", name="Back to chats").click()
    expect(archived).to_have_attribute("aria-pressed", "false")
    expect(link(page, "Keep me around")).to_be_visible()
    expect(link(page, "Stays")).to_be_visible()


def test_archive_undo_from_the_toast(page: Any, api: Client) -> None:
    s = make(api, "Oops")
    reload(page)
    menu_action(page, "Oops", "Archive")
    expect(link(page, "Oops")).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(link(page, "Oops")).to_be_visible()  # the row comes back once the server has unarchived it
    assert session_of(api, s["session_id"])[1]["session"]["archived"] is False


def test_delete_is_undoable_and_happens_when_the_toast_times_out(page: Any, api: Client) -> None:
    open_one = make(api, "Doomed")
    make(api, "Neighbour")
    reload(page)
    link(page, "Doomed").click()
    expect(link(page, "Doomed")).to_have_attribute("aria-current", "page")
    page.clock.install()

    menu_action(page, "Doomed", "Delete")
    expect(link(page, "Doomed")).to_be_hidden()
    expect(link(page, "Neighbour")).to_have_attribute("aria-current", "page")  # the open one moved on
    toast = page.locator("#toasts").get_by_role("status").filter(has_text="Deleted “Doomed”")
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Undo").click()
    expect(link(page, "Doomed")).to_be_visible()
    expect(link(page, "Doomed")).to_have_attribute("aria-current", "page")  # and came back
    assert session_of(api, open_one["session_id"])[0] == 200

    menu_action(page, "Doomed", "Delete")
    expect(link(page, "Doomed")).to_be_hidden()
    page.clock.run_for(5_000)
    assert session_of(api, open_one["session_id"])[0] == 200  # not yet: the undo window is still open
    page.clock.run_for(2_000)
    expect(sidebar(page).locator(f"li[data-id='{open_one['session_id']}']")).to_have_count(0)
    deadline = time.time() + 5
    while session_of(api, open_one["session_id"])[0] != 404 and time.time() < deadline:
        time.sleep(0.05)
    assert session_of(api, open_one["session_id"])[0] == 404
    reload(page)
    expect(link(page, "Neighbour")).to_be_visible()
    expect(link(page, "Doomed")).to_have_count(0)


def test_branch_from_the_menu_opens_the_copy(page: Any, api: Client) -> None:
    src = make(api, "Source chat", text="branch me")
    reload(page)
    menu_action(page, "Source chat", "Branch")
    copy = link(page, "Source chat (branch)")
    expect(copy).to_have_attribute("aria-current", "page")
    sessions = api.get("/api/sessions")[1]["sessions"]
    assert len(sessions) == 2
    branch = next(s for s in sessions if s["session_id"] != src["session_id"])
    assert branch["message_count"] == 2
    assert page.url.endswith(f"#/s/{branch['session_id']}")


def test_export_json_and_markdown_download(page: Any, api: Client) -> None:
    s = make(api, "Export me", text="the exported words")
    reload(page)
    with page.expect_download() as info:
        menu_action(page, "Export me", "Export Markdown")
    md = info.value
    assert md.suggested_filename.endswith(".md") and s["session_id"] in md.suggested_filename
    text = Path(md.path()).read_text(encoding="utf-8")
    assert text.startswith("# Export me") and "the exported words" in text

    with page.expect_download() as info:
        menu_action(page, "Export me", "Export JSON")
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert info.value.suggested_filename.endswith(".json")
    assert doc["title"] == "Export me" and doc["session_id"] == s["session_id"]


# ---- search ----------------------------------------------------------------------------------------------

def test_search_finds_title_and_content_matches_and_escape_clears(page: Any, api: Client) -> None:
    make(api, "Quarterly budget review")
    make(api, "Travel plans", text="we saw a zebra near the river")
    make(api, "Unrelated")
    reload(page)
    page.keyboard.press("Control+k")
    box = sidebar(page).get_by_role("searchbox", name="Search chats")
    expect(box).to_be_focused()
    expect(sidebar(page).locator(".sb-search .kbd")).to_have_text(re.compile(r"(Ctrl |⌘)K"))

    box.fill("zebra")
    results = sidebar(page).get_by_role("region", name="Search results")
    hit = results.get_by_role("link", name="Travel plans")
    expect(hit).to_be_visible()
    expect(hit).to_have_accessible_description(re.compile(r"^content"))
    expect(hit.locator("mark")).to_have_text(["zebra"])
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results.get_by_role("status")).to_have_text("1 match")

    box.fill("budget")
    hit = results.get_by_role("link", name="Quarterly budget review")
    expect(hit).to_have_accessible_description(re.compile(r"^title"))
    expect(results.get_by_role("link")).to_have_count(1)

    box.fill("nothingmatchesthis")
    expect(results.get_by_text("No matches for “nothingmatchesthis”")).to_be_visible()

    box.press("Escape")
    expect(box).to_have_value("")
    expect(results).to_be_hidden()
    expect(link(page, "Unrelated")).to_be_visible()

    box.fill("zebra")
    expect(results.get_by_role("link", name="Travel plans")).to_be_visible()
    sidebar(page).get_by_role("button", name="Clear search").click()
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    box.fill("river")
    expect(results.get_by_role("link", name="Travel plans")).to_be_visible()
    box.press("ArrowDown")
    expect(results.get_by_role("link", name="Travel plans")).to_be_focused()
    page.keyboard.press("Enter")
    expect(results.get_by_role("link", name="Travel plans")).to_have_attribute("aria-current", "page")


# ---- paging ----------------------------------------------------------------------------------------------

def test_the_list_pages_in_as_the_user_scrolls(page: Any, api: Client) -> None:
    for i in range(180):
        make(api, f"Chat number {i:03d}")
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url) if "/api/sessions" in r.url else None)
    reload(page)
    items = sidebar(page).locator("li.sb-item")
    expect(link(page, "Chat number 179")).to_be_visible()
    expect(items).to_have_count(50)
    assert urls and all("limit=50" in u for u in urls), urls
    scroller = sidebar(page).locator(".sb-scroll")
    for _ in range(20):
        scroller.evaluate("el => el.scrollTo(0, el.scrollHeight)")
        page.wait_for_timeout(120)
        if items.count() >= 180:
            break
    expect(items).to_have_count(180)
    ids = items.evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(set(ids)) == 180
    expect(link(page, "Chat number 000")).to_be_attached()
    assert any("cursor=" in u for u in urls)


# ---- projects --------------------------------------------------------------------------------------------

def test_move_to_project_and_filter_by_its_chip(page: Any, api: Client) -> None:
    status, data = api.post("/api/projects/create", {"name": "Research", "color": "#10b981"})
    assert status == 200, data
    research = data["project"]
    paper = make(api, "Paper notes")
    other = make(api, "Other chat")
    reload(page)
    chips = sidebar(page).get_by_role("group", name="Filter by project")
    expect(chips.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")

    menu_action(page, "Paper notes", "Move to project", "Research")
    expect(row(page, "Paper notes").locator(".sb-dot")).to_be_visible()
    assert session_of(api, paper["session_id"])[1]["session"]["project_id"] == research["project_id"]

    chips.get_by_role("button", name="Research", exact=True).click()
    expect(link(page, "Paper notes")).to_be_visible()
    expect(link(page, "Other chat")).to_have_count(0)
    chips.get_by_role("button", name="All").click()
    expect(link(page, "Other chat")).to_be_visible()

    # "New project…" creates one and moves the chat into it.
    menu_action(page, "Other chat", "Move to project", "New project…")
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name").fill("Garden")
    dialog.get_by_role("button", name="Create and move").click()
    expect(dialog).to_be_hidden()
    expect(chips.get_by_role("button", name="Garden", exact=True)).to_be_visible()
    projects = {p["name"]: p for p in api.get("/api/projects")[1]["projects"]}
    assert session_of(api, other["session_id"])[1]["session"]["project_id"] == projects["Garden"]["project_id"]
    chips.get_by_role("button", name="Garden", exact=True).click()
    expect(link(page, "Other chat")).to_be_visible()
    expect(link(page, "Paper notes")).to_have_count(0)
    # Moving it out of the filtered project drops it from this view.
    menu_action(page, "Other chat", "Move to project", "No project")
    expect(link(page, "Other chat")).to_have_count(0)
    expect(sidebar(page).get_by_text("No chats in Garden")).to_be_visible()


def test_rename_recolour_and_delete_a_project_from_its_chip(page: Any, api: Client) -> None:
    _, data = api.post("/api/projects/create", {"name": "Research", "color": "#10b981"})
    research = data["project"]
    paper = make(api, "Paper notes", project_id=research["project_id"])
    reload(page)
    chips = sidebar(page).get_by_role("group", name="Filter by project")
    chips.get_by_role("button", name="Research", exact=True).click()  # the chosen project shows its pencil
    chips.get_by_role("button", name="Edit project Research").click()
    dialog = page.get_by_role("dialog", name="Edit project")
    expect(dialog.get_by_label("Name")).to_have_value("Research")
    dialog.get_by_label("Name").fill("Studies")
    dialog.get_by_label("Colour 4").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(chips.get_by_role("button", name="Studies", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(row(page, "Paper notes").locator(".sb-dot")).to_have_attribute("title", "Studies")
    (saved,) = api.get("/api/projects")[1]["projects"]
    assert (saved["project_id"], saved["name"], saved["color"]) == (research["project_id"], "Studies", "#f59e0b")

    # A right-click on the chip opens it too; deleting asks first, and the chats stay.
    chips.get_by_role("button", name="Studies", exact=True).click(button="right")
    dialog.get_by_role("button", name="Delete project…").click()
    confirm = page.get_by_role("dialog", name="Delete “Studies”?")
    expect(confirm).to_contain_text("Its chats are kept")
    confirm.get_by_role("button", name="Delete project").click()
    expect(chips).to_be_hidden()  # no project left
    expect(link(page, "Paper notes")).to_be_visible()
    expect(row(page, "Paper notes").locator(".sb-dot")).to_have_count(0)
    assert api.get("/api/projects")[1]["projects"] == []
    assert session_of(api, paper["session_id"])[1]["session"]["project_id"] is None


# ---- context menu, theme, phone, dark ----------------------------------------------------------------------

def test_context_menu_and_keyboard_in_the_menu(page: Any, api: Client) -> None:
    make(api, "Right click me")
    reload(page)
    link(page, "Right click me").click(button="right")
    menu = page.get_by_role("menu", name="Actions for Right click me")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Rename")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Pin")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(link(page, "Right click me")).to_be_focused()
    # Submenu by keyboard: open the ⋯ menu, go to "Move to project", Right opens it, Left goes back.
    row(page, "Right click me").get_by_role("button", name="Session actions").click()
    menu = page.get_by_role("menu")
    menu.get_by_role("menuitem", name="Move to project").focus()
    page.keyboard.press("ArrowRight")
    expect(menu.get_by_role("menuitem", name="New project…")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(menu.get_by_role("menuitem", name="Move to project")).to_be_focused()
    page.mouse.click(900, 400)
    expect(menu).to_be_hidden()


def test_theme_toggle_cycles_and_says_the_current_theme(page: Any) -> None:
    button = sidebar(page).get_by_role("button", name="Theme: system")
    button.click()
    expect(sidebar(page).get_by_role("button", name="Theme: light")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    sidebar(page).get_by_role("button", name="Theme: light").click()
    expect(page.locator("html")).to_have_attribute("data-scheme", "dark")
    sidebar(page).get_by_role("button", name="Theme: dark").click()
    expect(sidebar(page).get_by_role("button", name="Theme: system")).to_be_visible()


def _showcase(api: Client) -> None:
    _, data = api.post("/api/projects/create", {"name": "Research", "color": "#6366f1"})
    _, data2 = api.post("/api/projects/create", {"name": "Home", "color": "#f59e0b"})
    make(api, "Reading list for the quarter", ago_days=45)
    make(api, "Trip to Lisbon — itinerary ideas", ago_days=12, project_id=data2["project"]["project_id"])
    make(api, "Refactor the import pipeline", ago_days=3, project_id=data["project"]["project_id"])
    make(api, "SQL window functions", ago_days=1.05)
    make(api, "Weekly planning", ago_days=2, pinned=True)
    make(api, "Benchmark notes: SQLite vs PostgreSQL", text="numbers", project_id=data["project"]["project_id"])
    make(api, "A very long title that certainly does not fit in the narrow sidebar at all", text="long")
    make(api, "Draft the release announcement", text="draft")


def test_phone_drawer_opens_with_ctrl_b_and_closes_on_select(
        open_page: Any, ui_server: LiveServer, api: Client) -> None:
    _showcase(api)
    page = open_page(ui_server, viewport=(390, 844))
    bar = sidebar(page)
    expect(bar).to_be_hidden()
    page.keyboard.press("Control+b")
    expect(bar).to_be_visible()
    page.wait_for_function("() => document.getElementById('sidebar').getBoundingClientRect().x >= 0")  # slid in
    box = bar.bounding_box()
    assert box and box["width"] <= 340 and box["x"] >= 0
    more = row(page, "Draft the release announcement").get_by_role("button", name="Session actions")
    expect(more).to_be_visible()
    size = more.bounding_box()
    assert size and size["height"] >= 36 and size["width"] >= 36
    assert link(page, "Weekly planning").bounding_box()["height"] >= 36
    link(page, "Weekly planning").click()
    expect(bar).to_be_hidden()
    page.keyboard.press("Control+b")
    expect(bar).to_be_visible()
    expect(link(page, "Weekly planning")).to_have_attribute("aria-current", "page")


def test_phone_dark(open_page: Any, ui_server: LiveServer, api: Client) -> None:
    _showcase(api)
    page = open_page(ui_server, viewport=(390, 844), color_scheme="dark")
    page.keyboard.press("Control+b")
    expect(sidebar(page)).to_be_visible()
    menu_action(page, "Refactor the import pipeline")
    expect(page.get_by_role("menu")).to_be_visible()


def test_desktop_dark_with_menu_open(open_page: Any, ui_server: LiveServer, api: Client) -> None:
    _showcase(api)
    page = open_page(ui_server, color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-scheme", "dark")
    link(page, "SQL window functions").click()
    menu_action(page, "Refactor the import pipeline", "Move to project")
    expect(page.get_by_role("menuitem", name="Research")).to_be_visible()


def test_archived_view_dark(open_page: Any, ui_server: LiveServer, api: Client) -> None:
    _showcase(api)
    for title in ("Old experiment", "Tax forms 2023"):
        sid = make(api, title, ago_days=60)["session_id"]
        api.post("/api/session/archive", {"session_id": sid, "archived": True})
    page = open_page(ui_server, color_scheme="dark")
    sidebar(page).get_by_role("button", name="Archived").click()
    expect(link(page, "Tax forms 2023")).to_be_visible()
    expect(link(page, "Weekly planning")).to_have_count(0)
    sidebar(page).get_by_role("searchbox", name="Search chats").fill("tax")
    results = sidebar(page).get_by_role("region", name="Search results")
    expect(results.get_by_role("link", name="Tax forms 2023")).to_have_accessible_description(re.compile("archived"))


def test_desktop_light_with_search(page: Any, api: Client) -> None:
    _showcase(api)
    reload(page)
    link(page, "Weekly planning").click()
    row(page, "Draft the release announcement").hover()
    expect(row(page, "Draft the release announcement").get_by_role("button", name="Session actions")).to_be_visible()


def test_desktop_light_search_results(page: Any, api: Client) -> None:
    _showcase(api)
    reload(page)
    sidebar(page).get_by_role("searchbox", name="Search chats").fill("numbers")
    expect(sidebar(page).get_by_role("region", name="Search results").get_by_role("link")).to_have_count(1)
