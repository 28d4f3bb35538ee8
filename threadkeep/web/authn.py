"""Authentication for every request, as one pure ASGI middleware: who the request is, and may it do this.

Owns reading credentials off the wire (Bearer token, login cookie, a trusted proxy's user header), the client
address and scheme behind trusted proxies, the CSRF rule for browser credentials, and token scopes. The
answer is a `Principal` on `scope["state"]`; handlers read it through `routes/deps`. Unauthenticated API calls
get 401, the page gets the login screen. What a user may see is not decided here: the stores act per user.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth.accounts import Accounts, ExternalIdentity
from ..auth.principal import Principal, scope_allows
from ..settings import Settings

COOKIE = "threadkeep_session"
CSRF_HEADER = "x-csrf-token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
# Reachable without a login: health, the login itself, and what the login screen needs.
_PUBLIC_API = frozenset({"/api/auth/login", "/api/auth/status", "/api/auth/oidc/login", "/api/auth/oidc/callback"})
_PAGES = frozenset({"/", "/index.html", "/admin"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(items: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(i, strict=False) for i in items]


def _in(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def needed_scope(method: str, path: str) -> str:
    """What a credential must allow for a request: admin routes need `admin`, changes `write`, reads `read`."""
    if path.startswith("/api/admin/"):
        return "admin"
    return "read" if method in _SAFE else "write"


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.mode = settings.auth
        self.trusted = _networks(settings.trusted_proxies)
        self.proxy_auth = settings.proxy_auth and bool(self.trusted)
        self.user_header = settings.proxy_user_header.lower().encode("latin-1")
        self.email_header = settings.proxy_email_header.lower().encode("latin-1")
        self.groups_header = settings.proxy_groups_header.lower().encode("latin-1")
        self.admin_groups = set(settings.proxy_admin_groups)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = dict(scope["headers"])
        peer = (scope.get("client") or ("", 0))[0]
        from_proxy = bool(self.trusted) and _in(peer, self.trusted)
        ip = self._client_ip(peer, headers) if from_proxy else peer
        secure = scope.get("scheme") == "https" or (
            from_proxy and headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip() == b"https")
        state = scope.setdefault("state", {})
        state["client_ip"] = ip
        state["secure"] = secure
        path: str = scope["path"]
        method: str = scope["method"]
        accounts: Accounts = scope["app"].state.accounts
        is_api = path.startswith("/api/")
        if self.mode == "none":
            state["principal"] = accounts.local
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._principal(accounts, headers, ip, from_proxy)
        except _Refused as refused:
            await _json(send, refused.status, refused.message)
            return
        state["principal"] = principal
        if principal is None:
            if is_api and path not in _PUBLIC_API:
                await _json(send, 401, "Authentication required")
                return
            if path in _PAGES:
                target = "/login" + ("" if path == "/" else "?next=" + quote(path, safe=""))
                await _redirect(send, target)
                return
            await self.app(scope, receive, send)
            return
        # The login routes themselves take no CSRF token: a login page has none yet (the Origin check stays).
        if is_api and method not in _SAFE and principal.method in ("cookie", "proxy") and path not in _PUBLIC_API \
                and not _csrf_ok(headers.get(b"x-csrf-token"), principal.csrf_token):
            await _json(send, 403, "CSRF token missing or wrong: send the X-CSRF-Token header from /api/auth/me")
            return
        if is_api:
            needed = needed_scope(method, path)
            if needed == "admin" and not principal.is_admin:
                await _json(send, 403, "Only an admin may do this")
                return
            if not scope_allows(principal.scope, needed):  # type: ignore[arg-type]
                await _json(send, 403, f"This token's scope ({principal.scope}) does not allow this; "
                                       f"it needs '{needed}'")
                return
        await self.app(scope, receive, send)

    def _client_ip(self, peer: str, headers: dict[bytes, bytes]) -> str:
        """The first address, from the right of X-Forwarded-For, that is not one of our proxies."""
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, self.trusted):
                return hop[:64]
        return peer

    async def _principal(self, accounts: Accounts, headers: dict[bytes, bytes], ip: str,
                         from_proxy: bool) -> Principal | None:
        auth = headers.get(b"authorization")
        if auth is not None:
            kind, _, value = auth.decode("latin-1").partition(" ")
            if kind.lower() != "bearer" or not value.strip():
                raise _Refused(401, "Authorization must be 'Bearer tk_...'")
            principal = await accounts.by_token(value.strip(), ip=ip)
            if principal is None:
                raise _Refused(401, "The API token is not valid (revoked, expired or unknown)")
            return principal
        if self.proxy_auth and from_proxy and headers.get(self.user_header):
            return await self._proxy_user(accounts, headers, ip)
        cookie = _cookie(headers.get(b"cookie"))
        if cookie:
            return await accounts.by_cookie(cookie)
        return None

    async def _proxy_user(self, accounts: Accounts, headers: dict[bytes, bytes], ip: str) -> Principal:
        name = headers[self.user_header].decode("utf-8", "replace").strip()
        email = headers.get(self.email_header, b"").decode("utf-8", "replace").strip() or None
        groups = {g.strip() for g in headers.get(self.groups_header, b"").decode("utf-8", "replace").split(",")}
        role = "admin" if groups & self.admin_groups else "user"
        identity = ExternalIdentity("proxy", f"proxy|{name.lower()}", name, email, None, role)
        try:
            user = await accounts.external_user(identity, ip=ip)
        except Exception as exc:  # a name we cannot use, a disabled account
            raise _Refused(403, str(getattr(exc, "message", None) or "This user cannot log in")) from None
        return accounts.proxy_principal(user)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _cookie(raw: bytes | None) -> str | None:
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _csrf_ok(sent: bytes | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent, expected.encode())


async def _json(send: Send, status: int, message: str) -> None:
    body = orjson.dumps({"error": message})
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                          (b"cache-control", b"no-store")]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="threadkeep"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 302,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})


def cookie_header(value: str, *, secure: bool, max_age: int | None) -> str:
    """The Set-Cookie value for a login (max_age None with an empty value: delete it)."""
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    parts.append(f"Max-Age={max_age}" if max_age is not None else "Max-Age=0")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
