"""Login routes: log in and out, who am I, change my password, my API tokens, single sign-on.

hermes' shapes where hermes has the route (`/api/auth/login` with `{"password"}` in `password` mode,
`/api/auth/status` → `{auth_enabled, logged_in}`); the rest is threadkeep's. The checks themselves are
`auth.accounts`'; the cookie and redirects are this module's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field
from starlette.responses import Response

from ...auth.accounts import Accounts, LoggedIn
from ...auth.principal import SCOPES, Principal
from ...errors import BadRequest, Conflict, NotFound
from ...settings import Settings
from ..authn import COOKIE, cookie_header
from ..responses import JsonReply, reply
from .deps import AppSettings, Body, Me, whole_number

router = APIRouter(tags=["auth"])

Secret = Annotated[str, Field(max_length=1024)]
NewPassword = Annotated[str, Field(min_length=8, max_length=1024)]


class Login(Body):
    username: Annotated[str, Field(max_length=200)] | None = None
    password: Secret


class PasswordChange(Body):
    current_password: Secret = ""
    new_password: NewPassword


class NewToken(Body):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    scope: Literal["read", "write", "admin"] = "read"
    expires_in: whole_number(1, 10 * 365 * 86400) | None = None  # type: ignore[valid-type]


class TokenRef(Body):
    id: Annotated[str, Field(min_length=1, max_length=64)]


def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def _ip(request: Request) -> str | None:
    return getattr(request.state, "client_ip", None)


def _with_login(response: Response, request: Request, settings: Settings, logged: LoggedIn) -> Response:
    response.headers.append("set-cookie", cookie_header(logged.cookie, secure=bool(request.state.secure),
                                                        max_age=int(settings.login_max_seconds)))
    return response


def _without_login(response: Response, request: Request) -> Response:
    response.headers.append("set-cookie", cookie_header("", secure=bool(request.state.secure), max_age=None))
    return response


def _me(principal: Principal, settings: Settings) -> dict[str, Any]:
    return {"ok": True, "user": principal.user_dict(), "csrf_token": principal.csrf_token,
            "method": principal.method, "scope": principal.scope, "mode": settings.auth}


@router.post("/api/auth/login")
async def login(body: Login, request: Request, settings: AppSettings) -> Response:
    """Check the pair (the password alone in `password` mode) and start a browser login (cookie)."""
    accounts = accounts_of(request)
    if settings.auth == "none":
        assert accounts.local is not None
        return reply({**_me(accounts.local, settings), "message": "Auth not enabled"})
    previous = request.cookies.get(COOKIE)
    logged = await accounts.login(body.username, body.password, ip=_ip(request),
                                  user_agent=request.headers.get("user-agent"))
    if previous:  # a new login never reuses a session id someone may have planted
        old = await accounts.by_cookie(previous)
        if old is not None and old.login_id:
            await accounts.logins.close(old.login_id)
    return _with_login(reply(_me(logged.principal, settings)), request, settings, logged)


@router.get("/api/auth/status")
async def status(request: Request, settings: AppSettings) -> JsonReply:
    """hermes' `{auth_enabled, logged_in}`, plus which ways to log in this server offers."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return reply({
        "auth_enabled": settings.auth != "none",
        "logged_in": principal is not None,
        "mode": settings.auth,
        "username_required": settings.auth == "users",
        "password_login": settings.auth in ("password", "users"),
        "oidc": settings.oidc_enabled,
        "oidc_label": settings.oidc_label if settings.oidc_enabled else None,
    })


@router.get("/api/auth/me")
async def me(principal: Me, settings: AppSettings) -> JsonReply:
    return reply(_me(principal, settings))


@router.post("/api/auth/logout")
async def logout(principal: Me, request: Request) -> Response:
    await accounts_of(request).logout(principal, ip=_ip(request))
    return _without_login(reply({"ok": True}), request)


@router.post("/api/auth/logout_all")
async def logout_all(principal: Me, request: Request) -> Response:
    """End every browser login of this user, this one included."""
    closed = await accounts_of(request).logout_everywhere(principal, ip=_ip(request))
    return _without_login(reply({"ok": True, "closed": closed}), request)


@router.post("/api/auth/password")
async def change_password(body: PasswordChange, principal: Me, request: Request) -> JsonReply:
    """Change my password (the current one is required when there is one); my other logins end."""
    await accounts_of(request).change_password(principal, body.current_password, body.new_password,
                                               ip=_ip(request))
    return reply({"ok": True})


@router.post("/api/auth/tokens")
async def create_token(body: NewToken, principal: Me, request: Request, settings: AppSettings) -> JsonReply:
    """A new API token for scripts; the secret is in this reply only."""
    if settings.auth == "none":
        raise Conflict("This server runs without logins (--auth none): API tokens are not needed")
    if body.scope not in SCOPES:
        raise BadRequest("scope must be 'read', 'write' or 'admin'")
    if body.scope == "admin" and not principal.is_admin:
        raise BadRequest("Only an admin account can have an admin-scoped token")
    if SCOPES.index(body.scope) > SCOPES.index(principal.scope):
        raise BadRequest(f"A token with scope '{principal.scope}' cannot make one with scope '{body.scope}'")
    accounts = accounts_of(request)
    info, secret = await accounts.tokens.create(principal.user_id, body.name, body.scope, body.expires_in)
    await accounts.audit.record("token_created", actor_id=principal.user_id, actor=principal.username,
                                target=info.id, ip=_ip(request), name=info.name, scope=info.scope)
    return reply({**info.to_dict(), "token": secret})


@router.get("/api/auth/tokens")
async def list_tokens(principal: Me, request: Request) -> JsonReply:
    tokens = await accounts_of(request).tokens.list(principal.user_id)
    return reply({"tokens": [t.to_dict() for t in tokens]})


@router.post("/api/auth/tokens/revoke")
async def revoke_token(body: TokenRef, principal: Me, request: Request) -> JsonReply:
    """Revoke one of my tokens; its next request is refused."""
    accounts = accounts_of(request)
    info = await accounts.tokens.revoke(principal.user_id, body.id)
    await accounts.audit.record("token_revoked", actor_id=principal.user_id, actor=principal.username,
                                target=info.id, ip=_ip(request), name=info.name)
    return reply({"ok": True, "token": info.to_dict()})


# -- single sign-on (OpenID Connect) ------------------------------------------------------------------

_PENDING = "threadkeep_oidc"


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _redirect_uri(request: Request, settings: Settings) -> str:
    base = settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")
    if not settings.public_url and request.state.secure and base.startswith("http://"):
        base = "https://" + base[len("http://"):]
    return base + "/api/auth/oidc/callback"


@router.get("/api/auth/oidc/login", response_class=RedirectResponse, status_code=302)
async def oidc_login(request: Request, settings: AppSettings,
                     next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """Send the browser to the identity provider."""
    oidc = getattr(request.app.state, "oidc", None)
    if oidc is None:
        raise NotFound("Single sign-on is not configured on this server")
    url, pending = await oidc.begin(_redirect_uri(request, settings))
    payload = orjson.dumps({**pending, "next": _safe_next(next)}).hex()
    signed = f"{payload}.{accounts_of(request).sign('oidc:' + payload)}"
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(_PENDING, signed, max_age=600, httponly=True, samesite="lax",
                        secure=bool(request.state.secure), path="/api/auth/oidc")
    return response


@router.get("/api/auth/oidc/callback", response_class=RedirectResponse, status_code=302)
async def oidc_callback(request: Request, settings: AppSettings) -> Response:
    """Back from the identity provider: check what it says, log the user in, go to the page."""
    from ...auth.accounts import ExternalIdentity
    from ...auth.oidc import OidcError

    oidc = getattr(request.app.state, "oidc", None)
    accounts = accounts_of(request)
    if oidc is None:
        raise NotFound("Single sign-on is not configured on this server")
    payload, _, signature = request.cookies.get(_PENDING, "").partition(".")
    if not payload or not signature or signature != accounts.sign("oidc:" + payload):
        return _login_error("The sign-in took too long or was started elsewhere: please try again")
    pending = orjson.loads(bytes.fromhex(payload))
    try:
        identity = await oidc.finish(dict(request.query_params), pending)
        external = ExternalIdentity("oidc", f"{identity.issuer}|{identity.subject}", identity.username,
                                    identity.email, identity.name, identity.role)
        logged = await accounts.external_login(external, ip=_ip(request),
                                               user_agent=request.headers.get("user-agent"))
    except OidcError as exc:
        await accounts.audit.record("login_failed", ip=_ip(request), method="oidc", reason=str(exc))
        return _login_error(str(exc))
    response = RedirectResponse(_safe_next(pending.get("next")), status_code=302)
    response.delete_cookie(_PENDING, path="/api/auth/oidc")
    return _with_login(response, request, settings, logged)


def _login_error(message: str) -> Response:
    response = RedirectResponse("/login?error=" + quote(message[:300], safe=""), status_code=302)
    response.delete_cookie(_PENDING, path="/api/auth/oidc")
    return response
