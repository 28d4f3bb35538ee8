"""Logins over HTTP (in-process, SQLite and PostgreSQL): cookies and their flags, CSRF, API tokens and their
scopes, throttling with backoff, fixation, expiry, logout everywhere, disabled users, password mode, a trusted
proxy's user header, and single sign-on against a local fake identity provider."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.accounts import PASSWORD, add_user, anonymous, logged_in, token_client
from threadkeep.web.app import create_app


@pytest.fixture
async def make_app(settings: Any) -> Any:
    """Apps in other modes or with other settings, closed afterwards."""
    opened: list[Any] = []

    async def make(**changes: Any) -> Any:
        application = create_app(settings.model_copy(update=changes))
        context = application.router.lifespan_context(application)
        await context.__aenter__()
        opened.append(context)
        return application

    yield make
    for context in reversed(opened):
        await context.__aexit__(None, None, None)


def set_cookie(reply: httpx.Response) -> str:
    return next(v for k, v in reply.headers.multi_items() if k == "set-cookie" and "threadkeep_session" in v)


async def test_login_sets_a_safe_cookie_and_me_answers(users_app: Any) -> None:
    await add_user(users_app, "alice", role="admin")
    async with anonymous(users_app) as client:
        reply = await client.post("/api/auth/login", json={"username": "Alice", "password": PASSWORD})
        assert reply.status_code == 200
        body = reply.json()
        assert body["ok"] is True and body["user"]["username"] == "alice" and body["user"]["role"] == "admin"
        assert len(body["csrf_token"]) >= 32
        cookie = set_cookie(reply)
        for flag in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="):
            assert flag in cookie
        assert "Secure" not in cookie  # plain http on localhost
        me = (await client.get("/api/auth/me")).json()
        assert me["user"]["username"] == "alice" and me["csrf_token"] == body["csrf_token"]
        status = (await client.get("/api/auth/status")).json()
        assert status["auth_enabled"] is True and status["logged_in"] is True and status["mode"] == "users"


async def test_wrong_password_and_unknown_user_look_the_same(users_app: Any) -> None:
    await add_user(users_app, "alice")
    async with anonymous(users_app) as client:
        wrong = await client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
        unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "Wrong username or password"}


async def test_unauthenticated_api_is_401_and_the_page_goes_to_login(users_app: Any) -> None:
    async with anonymous(users_app) as client:
        api = await client.get("/api/sessions")
        assert api.status_code == 401 and api.json() == {"error": "Authentication required"}
        page = await client.get("/")
        assert page.status_code == 302 and page.headers["location"] == "/login"
        assert (await client.get("/admin")).headers["location"] == "/login?next=%2Fadmin"
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/static/js/api.js")).status_code == 200


async def test_csrf_token_is_required_on_changes_from_a_cookie_login(users_app: Any) -> None:
    await add_user(users_app, "alice")
    client = await logged_in(users_app, "alice")
    good = client.headers.pop("X-CSRF-Token")
    missing = await client.post("/api/session/new", json={})
    wrong = await client.post("/api/session/new", json={}, headers={"X-CSRF-Token": "x" * 43})
    right = await client.post("/api/session/new", json={}, headers={"X-CSRF-Token": good})
    assert missing.status_code == wrong.status_code == 403 and "CSRF" in missing.json()["error"]
    assert right.status_code == 200
    assert (await client.get("/api/sessions")).status_code == 200  # reads need no token
    # A cross-site form post is refused by the origin check before anything else.
    cross = await client.post("/api/session/new", json={}, headers={"X-CSRF-Token": good,
                                                                     "Origin": "https://evil.example"})
    assert cross.status_code == 403


async def test_tokens_scopes_and_revocation_at_once(users_app: Any) -> None:
    await add_user(users_app, "alice")
    owner = await logged_in(users_app, "alice")
    created = (await owner.post("/api/auth/tokens", json={"name": "ci", "scope": "write"})).json()
    assert created["token"].startswith("tk_") and created["scope"] == "write"
    listed = (await owner.get("/api/auth/tokens")).json()["tokens"]
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    script = anonymous(users_app, Authorization=f"Bearer {created['token']}")
    assert (await script.post("/api/session/new", json={})).status_code == 200  # no CSRF token needed
    assert (await script.post("/api/auth/tokens", json={"name": "x", "scope": "admin"})).status_code == 400
    revoked = await owner.post("/api/auth/tokens/revoke", json={"id": created["id"]})
    assert revoked.status_code == 200 and revoked.json()["token"]["revoked"] is True
    after = await script.get("/api/sessions")
    assert after.status_code == 401 and "not valid" in after.json()["error"]
    bogus = anonymous(users_app, Authorization="Bearer tk_made_up")
    assert (await bogus.get("/api/sessions")).status_code == 401
    basic = anonymous(users_app, Authorization="Basic YTpi")
    assert (await basic.get("/api/sessions")).status_code == 401


async def test_token_expiry(users_app: Any) -> None:
    await add_user(users_app, "alice")
    owner = await logged_in(users_app, "alice")
    created = (await owner.post("/api/auth/tokens", json={"name": "short", "scope": "read", "expires_in": 1})).json()
    script = anonymous(users_app, Authorization=f"Bearer {created['token']}")
    assert (await script.get("/api/sessions")).status_code == 200
    await asyncio.sleep(1.1)
    assert (await script.get("/api/sessions")).status_code == 401


async def test_fifty_wrong_passwords_lock_the_account_with_backoff_not_others(users_app: Any) -> None:
    await add_user(users_app, "alice")
    await add_user(users_app, "bob")
    async with anonymous(users_app) as client:
        statuses, waits = [], []
        for _ in range(50):
            reply = await client.post("/api/auth/login", json={"username": "alice", "password": "guess-guess"})
            statuses.append(reply.status_code)
            if reply.status_code == 429:
                waits.append(int(reply.headers["Retry-After"]))
                assert reply.json()["locked"] is True and "locked" in reply.json()["error"]
        assert statuses[:5] == [401] * 5 and statuses[5] == 429 and statuses[-1] == 429
        # While locked even the right password is refused...
        right = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
        # ...but another account behind the same address still logs in.
        other = await client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
        assert other.status_code == 200
    # Still locked afterwards (how long is left depends on this machine's speed; the doubling is tested below).
    row = await users_app.state.accounts.throttle.check(["user:alice"])
    assert row is not None and row.retry_after >= 1 and waits[0] >= 1
    events = [e.event for e in await users_app.state.accounts.audit.page(limit=200)]
    assert "login_locked" in events and "login_failed" in events and "login_blocked" in events


async def test_backoff_doubles_with_each_failure_after_the_allowance(users_app: Any) -> None:
    throttle = users_app.state.accounts.throttle
    locks = []
    for _ in range(8):
        locked = await throttle.failed(["user:carol"])
        locks.append(locked.retry_after if locked else 0)
    assert locks[:5] == [0] * 5 and locks[5:] == [2, 4, 8]


async def test_login_never_keeps_a_planted_or_old_session_id(users_app: Any) -> None:
    await add_user(users_app, "alice")
    async with anonymous(users_app) as client:
        client.cookies.set("threadkeep_session", "planted-by-attacker")
        first = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        token1 = set_cookie(first).split(";")[0].split("=", 1)[1]
        assert token1 != "planted-by-attacker"
        second = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        token2 = set_cookie(second).split(";")[0].split("=", 1)[1]
        assert token2 != token1
    async with anonymous(users_app) as stale:  # the first login ended when the second began on the same browser
        stale.cookies.set("threadkeep_session", token1)
        assert (await stale.get("/api/sessions")).status_code == 401
    async with anonymous(users_app) as current:
        current.cookies.set("threadkeep_session", token2)
        assert (await current.get("/api/sessions")).status_code == 200


async def test_logout_revokes_and_logout_all_ends_every_login(users_app: Any) -> None:
    await add_user(users_app, "alice")
    laptop, phone, tablet = [await logged_in(users_app, "alice") for _ in range(3)]
    cookie = laptop.cookies.get("threadkeep_session")
    out = await laptop.post("/api/auth/logout")
    assert out.status_code == 200 and "Max-Age=0" in set_cookie(out)
    replay = anonymous(users_app)
    replay.cookies.set("threadkeep_session", cookie or "")
    assert (await replay.get("/api/sessions")).status_code == 401  # revoked server-side, not just forgotten
    assert (await phone.get("/api/sessions")).status_code == 200
    everywhere = await phone.post("/api/auth/logout_all")
    assert everywhere.json() == {"ok": True, "closed": 2}
    assert (await tablet.get("/api/sessions")).status_code == 401


async def test_idle_and_absolute_expiry(make_app: Any) -> None:
    idle_app = await make_app(auth="users", login_idle_seconds=0.5)
    await add_user(idle_app, "alice")
    client = await logged_in(idle_app, "alice")
    assert (await client.get("/api/sessions")).status_code == 200
    await asyncio.sleep(0.7)
    assert (await client.get("/api/sessions")).status_code == 401
    short_app = await make_app(auth="users", login_max_seconds=0.5)
    await add_user(short_app, "bob")
    client = await logged_in(short_app, "bob")
    for _ in range(3):  # in use all along, and still it ends
        await asyncio.sleep(0.2)
    assert (await client.get("/api/sessions")).status_code == 401


async def test_disabled_user_is_out_at_once_and_the_last_admin_stays(users_app: Any) -> None:
    await add_user(users_app, "alice", role="admin")
    bob_user = await add_user(users_app, "bob")
    admin = await logged_in(users_app, "alice")
    bob = await logged_in(users_app, "bob")
    script = await token_client(users_app, bob, "read")
    disabled = await admin.post("/api/admin/users/update", json={"user_id": bob_user.id, "disabled": True})
    assert disabled.status_code == 200 and disabled.json()["user"]["disabled"] is True
    assert (await bob.get("/api/sessions")).status_code == 401
    assert (await script.get("/api/sessions")).status_code == 401
    again = await anonymous(users_app).post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    assert again.status_code == 401
    me = (await admin.get("/api/auth/me")).json()["user"]["id"]
    demote = await admin.post("/api/admin/users/update", json={"user_id": me, "role": "user"})
    assert demote.status_code == 409


async def test_admin_manages_users_and_reads_the_audit_log(users_app: Any) -> None:
    await add_user(users_app, "alice", role="admin")
    admin = await logged_in(users_app, "alice")
    made = await admin.post("/api/admin/users/create", json={"username": "Carol", "password": "carol-pass-1"})
    assert made.status_code == 200 and made.json()["user"]["username"] == "carol"
    dup = await admin.post("/api/admin/users/create", json={"username": "carol", "password": "carol-pass-1"})
    assert dup.status_code == 409
    short = await admin.post("/api/admin/users/create", json={"username": "dave", "password": "short"})
    assert short.status_code == 400
    carol_id = made.json()["user"]["id"]
    carol = await logged_in(users_app, "carol", "carol-pass-1")
    reset = await admin.post("/api/admin/users/password", json={"user_id": carol_id, "password": "new-pass-22"})
    assert reset.status_code == 200
    assert (await carol.get("/api/sessions")).status_code == 401  # her logins ended
    await logged_in(users_app, "carol", "new-pass-22")
    users = (await admin.get("/api/admin/users")).json()["users"]
    assert {u["username"] for u in users} == {"alice", "carol"} and all("password_hash" not in u for u in users)
    removed = await admin.post("/api/admin/users/delete", json={"user_id": carol_id})
    assert removed.status_code == 200
    events = (await admin.get("/api/admin/audit", params={"limit": 50})).json()["events"]
    kinds = [e["event"] for e in events]
    for kind in ("user_added", "password_reset", "user_removed", "login_ok"):
        assert kind in kinds
    assert events[0]["id"] > events[-1]["id"]  # newest first


async def test_change_password_ends_other_logins(users_app: Any) -> None:
    await add_user(users_app, "alice")
    here, there = await logged_in(users_app, "alice"), await logged_in(users_app, "alice")
    bad = await here.post("/api/auth/password", json={"current_password": "wrong", "new_password": "new-secret-1"})
    assert bad.status_code == 403
    ok = await here.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "new-secret-1"})
    assert ok.status_code == 200
    assert (await here.get("/api/sessions")).status_code == 200
    assert (await there.get("/api/sessions")).status_code == 401
    await logged_in(users_app, "alice", "new-secret-1")


async def test_password_mode_is_one_user_with_hermes_login(make_app: Any) -> None:
    from pydantic import SecretStr

    app = await make_app(auth="password", password=SecretStr("open sesame 1"))
    async with anonymous(app) as client:
        status = (await client.get("/api/auth/status")).json()
        assert status["auth_enabled"] is True and status["logged_in"] is False
        assert (await client.get("/api/sessions")).status_code == 401
        assert (await client.post("/api/auth/login", json={"password": "nope"})).status_code == 401
        reply = await client.post("/api/auth/login", json={"password": "open sesame 1"})
        assert reply.status_code == 200 and reply.json()["user"]["id"] == "local"
        client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
        assert (await client.post("/api/session/new", json={})).status_code == 200


async def test_none_mode_needs_no_login(client: httpx.AsyncClient) -> None:
    status = (await client.get("/api/auth/status")).json()
    assert status["auth_enabled"] is False
    assert (await client.post("/api/session/new", json={})).status_code == 200
    assert (await client.get("/api/auth/me")).json()["user"]["id"] == "local"


async def test_trusted_proxy_header_logs_in_and_untrusted_is_ignored(make_app: Any) -> None:
    app = await make_app(auth="users", trusted_proxies=["127.0.0.1/32"], proxy_auth=True,
                         proxy_admin_groups=["admins"])
    async with anonymous(app, **{"Remote-User": "Erin", "X-Forwarded-Email": "erin@example.com",
                                 "Remote-Groups": "staff,admins"}) as erin:
        me = (await erin.get("/api/auth/me")).json()
        assert me["user"]["username"] == "erin" and me["user"]["role"] == "admin" and me["method"] == "proxy"
        assert (await erin.post("/api/session/new", json={})).status_code == 403  # CSRF applies here too
        erin.headers["X-CSRF-Token"] = me["csrf_token"]
        assert (await erin.post("/api/session/new", json={})).status_code == 200
    async with anonymous(app, **{"Remote-User": "frank"}) as frank:
        assert (await frank.get("/api/sessions")).json()["sessions"] == []
        secure = await frank.get("/api/auth/me", headers={"X-Forwarded-Proto": "https",
                                                          "X-Forwarded-For": "203.0.113.9"})
        assert secure.status_code == 200
    untrusted = await make_app(auth="users", trusted_proxies=["10.1.2.3/32"], proxy_auth=True)
    async with anonymous(untrusted, **{"Remote-User": "erin"}) as spoof:
        assert (await spoof.get("/api/sessions")).status_code == 401


async def test_cookie_is_secure_behind_a_trusted_https_proxy_only(make_app: Any) -> None:
    app = await make_app(auth="users", trusted_proxies=["127.0.0.1/32"])
    await add_user(app, "alice")
    async with anonymous(app, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}) as client:
        reply = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert "Secure" in set_cookie(reply)
    events = await app.state.accounts.audit.page(event="login_ok")
    assert events[0].ip == "198.51.100.7"  # the client behind the proxy, not the proxy
    other = await make_app(auth="users")  # no trusted proxy (same database): its headers mean nothing
    async with anonymous(other, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}) as client:
        reply = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert "Secure" not in set_cookie(reply)


async def test_single_sign_on_with_a_local_identity_provider(make_app: Any, fake_oidc: Any) -> None:
    from pydantic import SecretStr

    app = await make_app(auth="users", oidc_discovery_url=fake_oidc.discovery_url,
                         oidc_client_id=fake_oidc.client_id, oidc_client_secret=SecretStr(fake_oidc.client_secret),
                         oidc_admin_groups=["ops"], oidc_allowed_domains=["example.com"])
    fake_oidc.next_user(sub="s-1", email="ada@example.com", preferred_username="ada", groups=["ops"])
    async with anonymous(app) as browser, httpx.AsyncClient() as idp:
        assert (await browser.get("/api/auth/status")).json()["oidc"] is True
        start = await browser.get("/api/auth/oidc/login", params={"next": "/admin"})
        assert start.status_code == 302
        back = await idp.get(start.headers["location"])  # the provider sends the browser back at once
        callback = urlsplit(back.headers["location"])
        assert callback.path == "/api/auth/oidc/callback" and "code" in parse_qs(callback.query)
        done = await browser.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 302 and done.headers["location"] == "/admin"
        me = (await browser.get("/api/auth/me")).json()
        assert me["user"]["username"] == "ada" and me["user"]["role"] == "admin"
        replay = await browser.get(f"{callback.path}?{callback.query}")  # state cookie gone, code used
        assert replay.status_code == 302 and replay.headers["location"].startswith("/login?error=")
    fake_oidc.next_user(sub="s-2", email="eve@elsewhere.org", preferred_username="eve")
    async with anonymous(app) as browser, httpx.AsyncClient() as idp:
        start = await browser.get("/api/auth/oidc/login")
        back = await idp.get(start.headers["location"])
        callback = urlsplit(back.headers["location"])
        refused = await browser.get(f"{callback.path}?{callback.query}")
        assert refused.headers["location"].startswith("/login?error=")
        assert (await browser.get("/api/sessions")).status_code == 401


async def test_open_redirects_are_refused(make_app: Any, fake_oidc: Any) -> None:
    from threadkeep.web.routes.auth import _safe_next

    for target in ("https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)", None, ""):
        assert _safe_next(target) == "/"
    assert _safe_next("/admin?x=1") == "/admin?x=1"
