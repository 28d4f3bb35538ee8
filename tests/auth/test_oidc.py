"""OpenID Connect login against a real local fake identity provider, over HTTP on 127.0.0.1.

Each login goes the way a browser takes it: `begin` gives the URL, the test follows it to the fake's
/authorize and reads the redirect back, `finish` gets the query and the pending state.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.fakes import FakeOidc
from tests.fakes.oidc_server import Tamper
from tests.live import free_port
from threadkeep.auth.oidc import OidcClient, OidcConfig, OidcError, OidcIdentity

REDIRECT = "http://127.0.0.1:8765/auth/oidc/callback"  # never fetched: the test reads the redirect itself

Edit = Callable[[dict[str, str], dict[str, str]], None]  # (redirect query, pending) -> changed in place


def config(fake: FakeOidc, **kwargs: Any) -> OidcConfig:
    return OidcConfig(discovery_url=fake.discovery_url, client_id=fake.client_id, client_secret=fake.client_secret,
                      **kwargs)


async def browse(url: str) -> dict[str, str]:
    """What the browser does at the provider: follow the URL, land back at the redirect URI with a query."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(url)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return dict(parse_qsl(location.query))


async def login_with(client: OidcClient, edit: Edit | None = None) -> OidcIdentity:
    url, pending = await client.begin(REDIRECT)
    params = await browse(url)
    if edit is not None:
        edit(params, pending)
    return await client.finish(params, pending)


async def login(fake: FakeOidc, edit: Edit | None = None, **kwargs: Any) -> OidcIdentity:
    client = OidcClient(config(fake, **kwargs), http_timeout=5.0)
    try:
        return await login_with(client, edit)
    finally:
        await client.aclose()


async def refused(fake: FakeOidc, edit: Edit | None = None, **kwargs: Any) -> str:
    with pytest.raises(OidcError) as caught:
        await login(fake, edit, **kwargs)
    return str(caught.value)


# -- a good login -----------------------------------------------------------------------------------


async def test_good_login_gives_the_identity_from_the_id_token(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(sub="u-42", email="Ada@Example.com", name="Ada Lovelace", groups=["staff", "eng"],
                        preferred_username="ada.l")
    identity = await login(fake_oidc)
    assert identity == OidcIdentity(subject="u-42", issuer=fake_oidc.issuer, email="Ada@Example.com",
                                    username="ada.l", name="Ada Lovelace", groups=("staff", "eng"), role="user",
                                    email_verified=True)
    assert fake_oidc.token_auth_used == ["client_secret_basic"]
    assert not [r for r in fake_oidc.requests if r.path == "/userinfo"]  # the ID token had the whole profile


async def test_authorization_request_asks_for_a_code_with_nonce_state_and_s256_pkce(fake_oidc: FakeOidc) -> None:
    client = OidcClient(config(fake_oidc, scopes="openid email profile groups"))
    try:
        url, pending = await client.begin(REDIRECT)
    finally:
        await client.aclose()
    assert url.startswith(f"{fake_oidc.root}/authorize?")
    query = dict(parse_qsl(urlsplit(url).query))
    assert set(pending) == {"state", "nonce", "code_verifier", "redirect_uri"}
    assert query["response_type"] == "code" and query["client_id"] == fake_oidc.client_id
    assert query["scope"] == "openid email profile groups" and query["redirect_uri"] == REDIRECT
    assert query["state"] == pending["state"] and query["nonce"] == pending["nonce"]
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(pending["code_verifier"]) != pending["code_verifier"]
    assert 43 <= len(pending["code_verifier"]) <= 128


async def test_two_logins_get_different_state_nonce_and_verifier(fake_oidc: FakeOidc) -> None:
    client = OidcClient(config(fake_oidc))
    try:
        (_, first), (_, second) = await client.begin(REDIRECT), await client.begin(REDIRECT)
    finally:
        await client.aclose()
    assert all(first[key] != second[key] for key in ("state", "nonce", "code_verifier"))


async def test_discovery_and_keys_are_fetched_once_for_many_logins(fake_oidc: FakeOidc) -> None:
    client = OidcClient(config(fake_oidc))
    try:
        for number in range(3):
            fake_oidc.next_user(sub=f"user-{number}")
            assert (await login_with(client)).subject == f"user-{number}"
    finally:
        await client.aclose()
    discovery = [r for r in fake_oidc.requests if r.path == "/.well-known/openid-configuration"]
    assert len(discovery) == 1 and fake_oidc.jwks_fetches() == 1


# -- roles and who may log in -----------------------------------------------------------------------


async def test_member_of_an_admin_group_is_an_admin(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(groups=["staff", "threadkeep-admins"])
    identity = await login(fake_oidc, admin_groups=("threadkeep-admins",))
    assert identity.role == "admin" and identity.groups == ("staff", "threadkeep-admins")


async def test_user_outside_admin_groups_is_a_plain_user(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(groups=["staff"])
    assert (await login(fake_oidc, admin_groups=("threadkeep-admins",))).role == "user"


async def test_allowed_groups_keep_out_everyone_else(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(groups=["marketing"])
    message = await refused(fake_oidc, allowed_groups=("eng",), admin_groups=("admins",))
    assert message == "Your account is not in a group allowed to use this server."


async def test_allowed_groups_admit_their_members_and_admins(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(groups=["eng"])
    assert (await login(fake_oidc, allowed_groups=("eng",), admin_groups=("admins",))).role == "user"
    fake_oidc.next_user(groups=["admins"])
    assert (await login(fake_oidc, allowed_groups=("eng",), admin_groups=("admins",))).role == "admin"


async def test_groups_can_come_from_a_nested_claim(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(groups=None, realm_access={"roles": ["offline_access", "ops"]})
    identity = await login(fake_oidc, groups_claim="realm_access.roles", admin_groups=("ops",))
    assert identity.groups == ("offline_access", "ops") and identity.role == "admin"


async def test_email_domain_not_allowed_is_refused(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(email="mallory@evil.example")
    message = await refused(fake_oidc, allowed_domains=("example.com",))
    assert message == "Your email domain is not allowed on this server."


async def test_allowed_email_domain_matches_case_insensitively(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(email="Ada@EXAMPLE.com")
    assert (await login(fake_oidc, allowed_domains=("Example.COM", "example.org"))).email == "Ada@EXAMPLE.com"


async def test_a_subdomain_is_not_an_allowed_domain(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(email="eve@evil.example.com")
    assert await refused(fake_oidc, allowed_domains=("example.com",)) == \
        "Your email domain is not allowed on this server."


@pytest.mark.parametrize("verified", [False, None], ids=["false", "absent"])
async def test_unverified_email_is_refused_when_domains_are_restricted(fake_oidc: FakeOidc,
                                                                       verified: bool | None) -> None:
    fake_oidc.next_user(email="ada@example.com", email_verified=verified)
    message = await refused(fake_oidc, allowed_domains=("example.com",))
    assert message == "Your email address is not verified by your identity provider."


async def test_unverified_email_is_reported_as_such_when_domains_are_open(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(email="ada@example.com", email_verified=False)
    identity = await login(fake_oidc)
    assert identity.email == "ada@example.com" and identity.email_verified is False


async def test_no_email_is_refused_when_domains_are_restricted(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(email=None)
    assert "no email address" in await refused(fake_oidc, allowed_domains=("example.com",))


# -- usernames --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("claims", "expected"), [
    ({"preferred_username": "Jane Doe/ops"}, "Jane-Doe-ops"),
    ({"preferred_username": "ada@example.com"}, "ada@example.com"),
    ({"preferred_username": None, "email": "grace.hopper@navy.example"}, "grace.hopper"),
    ({"preferred_username": None, "email": None, "sub": "248289761001"}, "248289761001"),
    ({"preferred_username": "x" * 100}, "x" * 64),
    ({"preferred_username": "élodie"}, "lodie"),
    ({"preferred_username": "...", "email": "--@example.com", "sub": "ü"}, None),
])
async def test_username_is_the_claim_else_email_local_part_else_subject_in_safe_characters(
        fake_oidc: FakeOidc, claims: dict[str, Any], expected: str | None) -> None:
    fake_oidc.next_user(**claims)
    name = (await login(fake_oidc)).username
    if expected is None:  # nothing usable: a stable name derived from the subject
        assert name.startswith("user-") and name == (await login(fake_oidc)).username
    else:
        assert name == expected


async def test_username_claim_is_configurable(fake_oidc: FakeOidc) -> None:
    fake_oidc.next_user(nickname="adal")
    assert (await login(fake_oidc, username_claim="nickname")).username == "adal"


async def test_profile_missing_from_the_id_token_comes_from_userinfo(fake_oidc: FakeOidc) -> None:
    fake_oidc.tamper = Tamper(profile_in_userinfo_only=True)
    fake_oidc.next_user(sub="u-7", email="lin@example.com", name="Lin", groups=["admins"], preferred_username="lin")
    identity = await login(fake_oidc, admin_groups=("admins",), allowed_domains=("example.com",))
    assert (identity.subject, identity.email, identity.username, identity.name, identity.role) == \
        ("u-7", "lin@example.com", "lin", "Lin", "admin")
    userinfo = [r for r in fake_oidc.requests if r.path == "/userinfo"]
    assert len(userinfo) == 1 and userinfo[0].headers["authorization"].startswith("Bearer ")


# -- the redirect back ------------------------------------------------------------------------------


async def test_wrong_state_is_refused_before_the_code_is_redeemed(fake_oidc: FakeOidc) -> None:
    def forge(params: dict[str, str], pending: dict[str, str]) -> None:
        params["state"] = "attacker-state"

    assert "does not match" in await refused(fake_oidc, forge)
    assert fake_oidc.posts("/token") == []


async def test_missing_state_is_refused(fake_oidc: FakeOidc) -> None:
    def drop_state(params: dict[str, str], pending: dict[str, str]) -> None:
        del params["state"]

    assert "does not match" in await refused(fake_oidc, drop_state)


async def test_incomplete_pending_state_is_an_expired_login(fake_oidc: FakeOidc) -> None:
    def lose_nonce(params: dict[str, str], pending: dict[str, str]) -> None:
        del pending["nonce"]

    assert "expired" in await refused(fake_oidc, lose_nonce)


async def test_provider_error_on_the_redirect_is_refused(fake_oidc: FakeOidc) -> None:
    def deny(params: dict[str, str], pending: dict[str, str]) -> None:
        params.clear()
        params.update(error="access_denied", error_description="<b>no</b>", state=pending["state"])

    assert await refused(fake_oidc, deny) == "The identity provider refused the sign-in (access_denied)."

    def phish(params: dict[str, str], pending: dict[str, str]) -> None:
        params.update(error="Your account is locked, call +1 555 0100")

    assert await refused(fake_oidc, phish) == "The identity provider refused the sign-in (error)."


async def test_issuer_on_the_redirect_must_be_the_provider(fake_oidc: FakeOidc) -> None:
    fake_oidc.send_iss_in_redirect = True
    assert (await login(fake_oidc)).issuer == fake_oidc.issuer

    def mix_up(params: dict[str, str], pending: dict[str, str]) -> None:
        params["iss"] = "https://other-idp.example"

    assert "different identity provider" in await refused(fake_oidc, mix_up)


# -- the code exchange ------------------------------------------------------------------------------


async def test_pkce_verifier_is_checked_by_the_provider(fake_oidc: FakeOidc) -> None:
    def swap_verifier(params: dict[str, str], pending: dict[str, str]) -> None:
        pending["code_verifier"] = "x" * 64

    assert "did not accept" in await refused(fake_oidc, swap_verifier)
    sent = dict(parse_qsl(fake_oidc.posts("/token")[0].body))
    assert sent["code_verifier"] == "x" * 64
    assert fake_oidc.authorizations[0]["code_challenge"] != s256("x" * 64)


async def test_redirect_uri_must_match_the_authorization_request(fake_oidc: FakeOidc) -> None:
    def move(params: dict[str, str], pending: dict[str, str]) -> None:
        pending["redirect_uri"] = "http://127.0.0.1:8765/elsewhere"

    assert "did not accept" in await refused(fake_oidc, move)


async def test_a_code_is_good_for_one_login(fake_oidc: FakeOidc) -> None:
    client = OidcClient(config(fake_oidc))
    try:
        url, pending = await client.begin(REDIRECT)
        params = await browse(url)
        await client.finish(params, pending)
        with pytest.raises(OidcError, match="did not accept"):
            await client.finish(params, pending)
    finally:
        await client.aclose()


async def test_wrong_client_secret_is_refused(fake_oidc: FakeOidc) -> None:
    client = OidcClient(OidcConfig(fake_oidc.discovery_url, fake_oidc.client_id, "not-the-secret"))
    try:
        with pytest.raises(OidcError, match="did not accept"):
            await login_with(client)
    finally:
        await client.aclose()


async def test_client_secret_post_when_the_provider_only_takes_that(fake_oidc: FakeOidc) -> None:
    fake_oidc.auth_methods = ["client_secret_post"]
    assert (await login(fake_oidc)).subject == "user-1"
    assert fake_oidc.token_auth_used == ["client_secret_post"]


# -- the ID token -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("tamper", "message"), [
    (Tamper(nonce="another-login"), "does not belong to this login"),
    (Tamper(expired=True), "has expired"),
    (Tamper(foreign_key=True), "could not be verified"),
    (Tamper(unknown_key=True), "could not be verified"),
    (Tamper(audience="another-app"), "for a different application"),
    (Tamper(issuer="https://evil.example"), "different identity provider"),
], ids=["wrong-nonce", "expired", "bad-signature", "unknown-key", "wrong-audience", "wrong-issuer"])
async def test_bad_id_token_is_refused(fake_oidc: FakeOidc, tamper: Tamper, message: str) -> None:
    fake_oidc.tamper = tamper
    assert message in await refused(fake_oidc)


async def test_unknown_key_is_looked_up_again_only_once(fake_oidc: FakeOidc) -> None:
    fake_oidc.tamper = Tamper(unknown_key=True)
    await refused(fake_oidc)
    assert fake_oidc.jwks_fetches() == 2


async def test_rotated_signing_key_is_picked_up_with_one_refetch(fake_oidc: FakeOidc) -> None:
    client = OidcClient(config(fake_oidc))
    try:
        await login_with(client)
        assert fake_oidc.jwks_fetches() == 1
        fake_oidc.rotate_key()
        fake_oidc.next_user(sub="after-rotation")
        assert (await login_with(client)).subject == "after-rotation"
        assert fake_oidc.jwks_fetches() == 2
        await login_with(client)
        assert fake_oidc.jwks_fetches() == 2  # the new keys stay cached
    finally:
        await client.aclose()


# -- the provider unreachable or misconfigured ------------------------------------------------------


async def test_unreachable_provider_is_a_clear_error() -> None:
    client = OidcClient(OidcConfig(f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration", "id", "s"),
                        http_timeout=2.0)
    try:
        with pytest.raises(OidcError, match="could not be reached"):
            await client.begin(REDIRECT)
    finally:
        await client.aclose()


async def test_failed_discovery_is_retried_on_the_next_login(fake_oidc: FakeOidc) -> None:
    fake_oidc.discovery_failures = 1
    client = OidcClient(config(fake_oidc))
    try:
        with pytest.raises(OidcError, match="could not be reached"):
            await client.begin(REDIRECT)
        assert (await login_with(client)).subject == "user-1"
    finally:
        await client.aclose()


def test_scopes_without_openid_are_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="openid"):
        OidcConfig("http://127.0.0.1:1/.well-known/openid-configuration", "id", "secret", scopes="email profile")


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
