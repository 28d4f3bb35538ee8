"""Logging in and accounts in a real browser, against `threadkeep serve --auth users`: the login screen, the
account menu (log out, change password, API tokens), the admin view (add, disable), and that one user never
sees another's chats."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.live import LiveServer
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_chat import assistant, send, wait_idle

ALICE = ("alice", "alice-pass-1")  # the admin
BOB = ("bob", "bob-pass-123")


def add_user(data_dir: Path, name: str, password: str, *, admin: bool = False) -> None:
    """`threadkeep user add` from the shell, the way an operator makes the first admin."""
    cmd = [sys.executable, "-m", "threadkeep", "user", "add", name, "--password-stdin", "--data-dir", str(data_dir)]
    done = subprocess.run(cmd + (["--admin"] if admin else []), input=password + "\n", text=True,
                          capture_output=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def users_server(tmp_path: Path) -> Iterator[LiveServer]:
    data = tmp_path / "data"
    add_user(data, *ALICE, admin=True)
    add_user(data, *BOB)
    env = {"THREADKEEP_AUTH": "users", "THREADKEEP_DEMO_TOKEN_DELAY": "0", "THREADKEEP_CHECKPOINT_SECONDS": "0.2",
           **{k: "" for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY")}}
    server = LiveServer(data, env=env)
    server.start()
    yield server
    server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"auth-{name}.png"), animations="disabled")


def on_login_screen(page: Any) -> None:
    expect(page).to_have_url(re.compile(r"/login([?#]|$)"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def submit_login(page: Any, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def in_app(page: Any) -> None:
    expect(page.locator("#sb-account .acct-button")).to_be_attached()  # (in the closed drawer on a phone)
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def logged_in(open_page: Callable[..., Any], server: LiveServer, user: tuple[str, str], **kw: Any) -> Any:
    """A fresh browser (its own cookies) logged in as `user`, on the app."""
    page = open_page(server, **kw)
    on_login_screen(page)
    submit_login(page, *user)
    in_app(page)
    return page


def menu_item(page: Any, name: str) -> Any:
    page.get_by_role("button", name=re.compile(r"^Account: ")).click()
    item = page.get_by_role("menu").get_by_role("menuitem", name=name, exact=True)
    expect(item).to_be_visible()
    return item


def login_error(page: Any) -> Any:
    return page.locator("#login-message")


def test_root_goes_to_login_wrong_password_errors_right_one_opens_the_app(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = open_page(users_server)
    on_login_screen(page)
    expect(page.get_by_label("Username")).to_be_focused()
    shot(page, "login")
    submit_login(page, ALICE[0], "not-the-password")
    expect(login_error(page)).to_have_text("Wrong username or password")
    expect(page.get_by_label("Password")).to_have_value("")
    submit_login(page, *ALICE)
    in_app(page)
    expect(page).to_have_url(users_server.base + "/")
    expect(page.get_by_role("button", name="Account: alice")).to_contain_text("Admin")


def test_next_is_honoured_for_local_paths_only(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = open_page(users_server, path="/admin")
    expect(page).to_have_url(users_server.base + "/login?next=%2Fadmin")
    submit_login(page, *ALICE)
    expect(page).to_have_url(users_server.base + "/admin")
    expect(page.get_by_role("region", name="Admin")).to_be_visible()  # /admin opens the admin view directly
    other = open_page(users_server, path="/login?next=//evil.example/x")  # another site: ignored
    submit_login(other, *BOB)
    in_app(other)
    expect(other).to_have_url(users_server.base + "/")
    # A link to a chat keeps its #/s/<id> through the login.
    linked = open_page(users_server, path="/#/s/abc123")
    on_login_screen(linked)
    submit_login(linked, *BOB)
    in_app(linked)
    expect(linked).to_have_url(users_server.base + "/#/s/abc123")
    expect(linked.locator("#messages")).to_contain_text("This chat does not exist")


def test_chat_with_the_demo_model_then_log_out(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = logged_in(open_page, users_server, ALICE)
    send(page, "Hello demo")
    expect(assistant(page)).to_contain_text("threadkeep demo model", timeout=20_000)
    wait_idle(page)
    menu_item(page, "Log out").click()
    on_login_screen(page)
    assert page.request.get(users_server.base + "/api/sessions").status == 401
    page.goto("/")  # the app is closed to a logged-out browser
    on_login_screen(page)


def test_a_user_sees_none_of_another_users_chats(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    alice = logged_in(open_page, users_server, ALICE)
    send(alice, "Alice's private plans")
    expect(assistant(alice)).to_contain_text("threadkeep demo model", timeout=20_000)
    wait_idle(alice)
    sid = alice.locator("#messages").get_attribute("data-session-id")
    expect(alice.locator("#sidebar .sb-item")).to_have_count(1)

    bob = logged_in(open_page, users_server, BOB)
    expect(bob.locator("#sidebar .sb-empty")).to_contain_text("No chats yet")
    expect(bob.locator("#sidebar .sb-item")).to_have_count(0)
    bob.evaluate("sid => { location.hash = '#/s/' + sid }", sid)
    expect(bob.locator("#messages")).to_contain_text("This chat does not exist")
    bob.reload()
    expect(bob.locator("#messages")).to_contain_text("This chat does not exist")
    assert bob.request.get(f"{users_server.base}/api/session?session_id={sid}").status == 404
    bob.get_by_role("search").get_by_role("searchbox").fill("private")
    expect(bob.locator(".sb-results-head")).to_contain_text("No matches")


def test_admin_adds_a_user_who_logs_in_then_disables_them(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    admin = logged_in(open_page, users_server, ALICE)
    menu_item(admin, "Admin").click()
    expect(admin).to_have_url(users_server.base + "/admin")
    view = admin.get_by_role("region", name="Admin")
    form = view.get_by_role("form", name="Add a user")
    form.get_by_label("Username").fill("carol")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Add user").click()
    expect(form.get_by_role("alert")).to_contain_text("at least 8 characters")
    form.get_by_label("Password").fill("carol-pass-1")
    form.get_by_role("button", name="Add user").click()
    carol_row = view.locator("tr[data-username='carol']")
    expect(carol_row).to_contain_text("never")
    expect(form.get_by_label("Username")).to_have_value("")
    shot(admin, "admin-users")

    carol = logged_in(open_page, users_server, ("carol", "carol-pass-1"))
    expect(carol.get_by_role("button", name="Account: carol")).to_be_visible()
    carol.get_by_role("button", name="Account: carol").click()
    expect(carol.get_by_role("menuitem", name="Admin")).to_have_count(0)  # not an admin
    carol.keyboard.press("Escape")

    carol_row.get_by_role("button", name="Disable carol").click()
    expect(carol_row.get_by_text("Disabled", exact=True)).to_be_visible()
    expect(carol_row.get_by_role("button", name="Enable carol")).to_be_visible()
    # Carol's open page: its next API call is refused, and the page goes to the login screen.
    carol.locator(".sb-new").click()
    on_login_screen(carol)
    submit_login(carol, "carol", "carol-pass-1")
    expect(login_error(carol)).to_have_text("Wrong username or password")

    view.get_by_role("tab", name="Audit log").click()
    audit = view.locator("#adm-panel-audit")
    newest = audit.locator("tbody tr")
    expect(newest.nth(0)).to_contain_text("Failed login")  # newest first: carol's refused login
    expect(newest.nth(0)).to_contain_text("reason: disabled")
    expect(newest.nth(1)).to_contain_text("User disabled")
    expect(audit).to_contain_text("User added")
    shot(admin, "admin-audit")
    view.get_by_role("button", name="Back to chats").click()
    expect(view).to_be_hidden()
    expect(admin).to_have_url(re.compile(re.escape(users_server.base) + r"/(#.*)?$"))


def test_audit_log_pages_back_with_load_older(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    with httpx.Client(base_url=users_server.base) as client:
        for i in range(55):  # one failure per name: no account gets locked
            reply = client.post("/api/auth/login", json={"username": f"nobody{i}", "password": "wrong-password"})
            assert reply.status_code == 401
    page = logged_in(open_page, users_server, ALICE, path="/admin")
    view = page.get_by_role("region", name="Admin")
    view.get_by_role("tab", name="Audit log").click()
    rows = view.locator("#adm-panel-audit tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Logged in")  # newest first
    view.get_by_role("button", name="Load older").click()
    expect(rows).to_have_count(55 + 3)  # + alice's login and the two users added from the shell
    expect(rows.last).to_contain_text("User added")
    expect(view.get_by_role("button", name="Load older")).to_be_hidden()
    view.get_by_label("Show events").select_option("login_failed")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("nobody54")


def test_a_non_admin_at_admin_is_sent_back(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = logged_in(open_page, users_server, BOB, path="/admin")
    expect(page.locator("#toasts")).to_contain_text("Only an admin")
    expect(page).to_have_url(re.compile(re.escape(users_server.base) + r"/(#.*)?$"))
    expect(page.get_by_role("region", name="Admin")).to_have_count(0)


def test_api_token_made_in_the_page_works_until_revoked(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = logged_in(open_page, users_server, ALICE)
    menu_item(page, "API tokens").click()
    dialog = page.get_by_role("dialog", name="API tokens")
    dialog.get_by_label("Name").fill("ci script")
    dialog.get_by_label("Access").select_option("write")
    dialog.get_by_label("Expires").select_option(label="30 days")
    dialog.get_by_role("button", name="Create token").click()
    secret = dialog.locator(".tok-secret")
    expect(secret).to_have_text(re.compile(r"^tk_\S{20,}$"))
    expect(dialog).to_contain_text("it will not be shown again")
    token = secret.inner_text().strip()
    row = dialog.locator(".tok-row", has_text="ci script")
    expect(row).to_contain_text("write")
    shot(page, "tokens-dialog")

    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(users_server.base + "/api/sessions", headers=bearer).status_code == 200

    row.get_by_role("button", name="Revoke ci script").click()
    confirm = page.get_by_role("dialog", name="Revoke “ci script”?")
    confirm.get_by_role("button", name="Revoke").click()
    expect(confirm).to_have_count(0)
    expect(row).to_contain_text("Revoked")
    assert httpx.get(users_server.base + "/api/sessions", headers=bearer).status_code == 401
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)


def test_change_password_then_log_in_with_the_new_one(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = logged_in(open_page, users_server, BOB)
    menu_item(page, "Change password").click()
    dialog = page.get_by_role("dialog", name="Change password")
    dialog.get_by_label("Current password").fill("wrong-current")
    dialog.get_by_label("New password", exact=True).fill("bob-new-pass-9")
    dialog.get_by_label("New password again").fill("bob-new-pass-9")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.get_by_role("alert")).to_have_text("The current password is wrong")
    dialog.get_by_label("New password again").fill("something-else")
    dialog.get_by_label("Current password").fill(BOB[1])
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.get_by_role("alert")).to_have_text("The two new passwords are not the same.")
    dialog.get_by_label("New password again").fill("bob-new-pass-9")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Password changed")

    menu_item(page, "Log out").click()
    on_login_screen(page)
    submit_login(page, "bob", BOB[1])
    expect(login_error(page)).to_have_text("Wrong username or password")
    submit_login(page, "bob", "bob-new-pass-9")
    in_app(page)


def test_log_out_everywhere_ends_the_other_browsers_too(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    first = logged_in(open_page, users_server, BOB)
    second = logged_in(open_page, users_server, BOB)
    menu_item(second, "Log out everywhere").click()
    on_login_screen(second)
    first.locator(".sb-new").click()
    on_login_screen(first)


def test_lockout_shows_a_countdown_then_lets_you_try_again(
        open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = open_page(users_server, path="/login")
    for _ in range(6):  # the account's allowance is 5 failures; the 6th locks it for 2 s
        expect(page.get_by_role("button", name="Log in")).to_be_enabled()
        submit_login(page, "bob", "wrong-password")
        expect(login_error(page)).not_to_be_empty()
    expect(login_error(page)).to_contain_text("Too many failed logins for this account. Try again in 0:0")
    expect(page.get_by_role("button", name="Log in")).to_be_disabled()
    shot(page, "login-locked")
    expect(login_error(page)).to_have_text("You can try again now.", timeout=8_000)
    submit_login(page, *BOB)
    in_app(page)


def test_login_page_on_a_phone_in_dark_mode(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = open_page(users_server, path="/login", viewport=(390, 844), color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-scheme", "dark")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card = page.locator(".login-card").bounding_box()
    assert card and card["x"] >= 0 and card["x"] + card["width"] <= 390
    submit_login(page, "nobody", "wrong-password")
    expect(login_error(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "login-phone-dark")
    submit_login(page, *ALICE)
    in_app(page)
    page.get_by_role("button", name="Toggle sessions").click()
    menu_item(page, "Admin")
    shot(page, "account-menu-phone-dark")
    page.get_by_role("menuitem", name="Admin").click()
    expect(page.get_by_role("region", name="Admin")).to_be_visible()
    expect(page.locator("tr[data-username='bob']")).to_be_visible()
    assert page.evaluate("document.getElementById('admin').scrollWidth <= window.innerWidth")
    shot(page, "admin-phone-dark")


def test_account_menu_desktop(open_page: Callable[..., Any], users_server: LiveServer) -> None:
    page = logged_in(open_page, users_server, ALICE)
    menu_item(page, "Change password")
    for name in ("API tokens", "Admin", "Log out", "Log out everywhere"):
        expect(page.get_by_role("menuitem", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("menuitem", name="Change password")).to_be_focused()
    shot(page, "account-menu")
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_have_count(0)
    expect(page.get_by_role("button", name="Account: alice")).to_be_focused()


def test_password_mode_asks_for_the_password_alone(open_page: Callable[..., Any], tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data",
                        env={"THREADKEEP_AUTH": "password", "THREADKEEP_PASSWORD": "the-one-password"})
    server.start()
    try:
        page = open_page(server)
        on_login_screen(page)
        expect(page.get_by_label("Username")).to_be_hidden()
        page.get_by_label("Password").fill("not-it")
        page.get_by_role("button", name="Log in").click()
        expect(login_error(page)).to_have_text("Wrong username or password")
        page.get_by_label("Password").fill("the-one-password")
        page.get_by_role("button", name="Log in").click()
        in_app(page)
        menu_item(page, "Log out")
        expect(page.get_by_role("menuitem", name="API tokens")).to_be_visible()
        page.get_by_role("menuitem", name="Admin").click()
        view = page.get_by_role("region", name="Admin")
        expect(view.get_by_role("tab")).to_have_count(1)  # no accounts to manage: the audit log only
        expect(view.locator("#adm-panel-audit")).to_contain_text("Logged in")
    finally:
        server.stop()


def test_single_user_mode_has_no_login_to_manage(open_page: Callable[..., Any], demo_server: LiveServer) -> None:
    page = open_page(demo_server)
    page.get_by_role("button", name=re.compile(r"^Account: ")).click()
    menu = page.get_by_role("menu")
    expect(menu).to_contain_text("Single-user mode (no login)")
    expect(menu.get_by_role("menuitem")).to_have_count(0)
    page.goto("/login")  # nothing to log in to: straight to the app
    expect(page).to_have_url(demo_server.base + "/")
    in_app(page)
