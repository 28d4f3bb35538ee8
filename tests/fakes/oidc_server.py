"""A fake OpenID Connect identity provider: discovery, JWKS, authorize, token and userinfo on 127.0.0.1.

Scripted per test: `next_user(...)` says who logs in at the next `/authorize` (no login page: it redirects
straight back with a code), `tamper` makes the next ID tokens wrong in one way (issuer, audience, nonce,
expiry, signing key), `rotate_key()` publishes a new signing key. `/token` checks the client's credentials
(client_secret_basic or client_secret_post), the code, the redirect URI and the PKCE verifier, as a real one does.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fakes.base import FakeServer, Handler, Recorded


@dataclass
class User:
    sub: str = "user-1"
    email: str | None = "ada@example.com"
    email_verified: bool | None = True
    name: str | None = "Ada Lovelace"
    preferred_username: str | None = "ada"
    groups: list[str] | None = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # more claims, e.g. a nested {"realm_access": ...}

    def profile(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.sub, "email": self.email, "email_verified": self.email_verified,
                                  "name": self.name, "preferred_username": self.preferred_username,
                                  "groups": self.groups, **self.extra}
        return {name: value for name, value in claims.items() if value is not None}


@dataclass
class Tamper:
    """What to get wrong in the ID tokens issued from now on (default: nothing)."""

    issuer: str | None = None  # an `iss` other than the discovery document's
    audience: str | None = None  # an `aud` other than the client id
    nonce: str | None = None  # a `nonce` other than the one the client sent
    expired: bool = False  # `exp` ten minutes in the past
    foreign_key: bool = False  # signed by a key the JWKS does not hold, under the published `kid`
    unknown_key: bool = False  # signed by a key the JWKS does not hold, under a `kid` it does not list
    profile_in_userinfo_only: bool = False  # the ID token carries only the protocol claims


@dataclass
class Grant:
    user: User
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class FakeOidc(FakeServer):
    def __init__(self, client_id: str = "threadkeep-test", client_secret: str = "fake-client-secret") -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = _new_key()
        self.retired_keys: list[RSAKey] = []
        self.tamper = Tamper()
        self.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.send_iss_in_redirect = False  # RFC 9207's `iss` on the redirect back
        self.discovery_failures = 0  # answer this many discovery requests with a 503 first
        self.authorizations: list[dict[str, str]] = []  # the query of each /authorize
        self.token_auth_used: list[str] = []  # how the client authenticated at each /token
        self._user = User()
        self._grants: dict[str, Grant] = {}
        self._access: dict[str, User] = {}
        self._state_lock = threading.Lock()

    # -- scripting ----------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.root

    @property
    def discovery_url(self) -> str:
        return f"{self.root}/.well-known/openid-configuration"

    def next_user(self, sub: str = "user-1", email: str | None = "ada@example.com", name: str | None = "Ada Lovelace",
                  groups: list[str] | None = None, email_verified: bool | None = True,
                  preferred_username: str | None = "ada", **extra: Any) -> User:
        self._user = User(sub, email, email_verified, name, preferred_username, list(groups or []), extra)
        return self._user

    def rotate_key(self) -> None:
        self.retired_keys.append(self.key)
        self.key = _new_key()

    def jwks_fetches(self) -> int:
        return sum(1 for r in self.requests if r.method == "GET" and urlsplit(r.path).path == "/jwks")

    # -- routes -------------------------------------------------------------------------------------

    def handle(self, handler: Handler, request: Recorded) -> None:
        route = (request.method, urlsplit(request.path).path)
        if route == ("GET", "/.well-known/openid-configuration") and self.discovery_failures > 0:
            self.discovery_failures -= 1
            handler.send_json(503, {"error": "temporarily_unavailable"})
        elif route == ("GET", "/.well-known/openid-configuration"):
            handler.send_json(200, self._discovery())
        elif route == ("GET", "/jwks"):
            handler.send_json(200, {"keys": [self.key.as_dict(private=False)]})
        elif route == ("GET", "/authorize"):
            self._authorize(handler, dict(parse_qsl(urlsplit(request.path).query)))
        elif route == ("POST", "/token"):
            self._token(handler, request)
        elif route == ("GET", "/userinfo"):
            self._userinfo(handler, request)
        else:
            handler.send_json(404, {"error": "not_found"})

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.root}/authorize",
            "token_endpoint": f"{self.root}/token",
            "userinfo_endpoint": f"{self.root}/userinfo",
            "jwks_uri": f"{self.root}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name",
                                 "preferred_username", "groups"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "authorization_response_iss_parameter_supported": self.send_iss_in_redirect,
        }

    def _authorize(self, handler: Handler, query: dict[str, str]) -> None:
        self.authorizations.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or query.get("response_type") != "code" or not redirect_uri:
            handler.send_json(400, {"error": "invalid_request"})
            return
        code = secrets.token_urlsafe(16)
        with self._state_lock:
            self._grants[code] = Grant(self._user, self.client_id, redirect_uri, query.get("nonce"),
                                       query.get("code_challenge"), query.get("code_challenge_method"))
        back = {"code": code, "state": query.get("state", "")}
        if self.send_iss_in_redirect:
            back["iss"] = self.issuer
        separator = "&" if "?" in redirect_uri else "?"
        handler.send_response(302)
        handler.send_header("Location", f"{redirect_uri}{separator}{urlencode(back)}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _token(self, handler: Handler, request: Recorded) -> None:
        form = dict(parse_qsl(request.body)) if isinstance(request.body, str) else {}
        method, client_id, secret = _client_credentials(request.headers.get("authorization", ""), form)
        self.token_auth_used.append(method)
        if method not in self.auth_methods or client_id != self.client_id or secret != self.client_secret:
            handler.send_json(401, {"error": "invalid_client"})
            return
        with self._state_lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code is good for one exchange
        if form.get("grant_type") != "authorization_code" or grant is None:
            handler.send_json(400, {"error": "invalid_grant", "error_description": "unknown or used code"})
            return
        if form.get("redirect_uri") != grant.redirect_uri:
            handler.send_json(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
            return
        if not _pkce_ok(grant, form.get("code_verifier")):
            handler.send_json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return
        access_token = secrets.token_urlsafe(24)
        with self._state_lock:
            self._access[access_token] = grant.user
        handler.send_json(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                                "scope": "openid email profile", "id_token": self.id_token(grant, access_token)},
                          {"Cache-Control": "no-store"})

    def _userinfo(self, handler: Handler, request: Recorded) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._state_lock:
            user = self._access.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            handler.send_json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        handler.send_json(200, user.profile())

    # -- tokens -------------------------------------------------------------------------------------

    def id_token(self, grant: Grant, access_token: str) -> str:
        tamper, now = self.tamper, int(time.time())
        issued = now - 1200 if tamper.expired else now
        claims: dict[str, Any] = {
            "iss": tamper.issuer or self.issuer,
            "aud": tamper.audience or grant.client_id,
            "iat": issued, "exp": issued + 600, "auth_time": issued,
            "at_hash": _half_hash(access_token),
        }
        if tamper.audience is None:
            claims["azp"] = grant.client_id
        nonce = tamper.nonce or grant.nonce
        if nonce is not None:
            claims["nonce"] = nonce
        profile = grant.user.profile()
        claims.update({"sub": profile["sub"]} if tamper.profile_in_userinfo_only else profile)
        key = _new_key(self.key.kid) if tamper.foreign_key else _new_key() if tamper.unknown_key else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _new_key(kid: str | None = None) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid or secrets.token_hex(8), "use": "sig", "alg": "RS256"})


def _client_credentials(authorization: str, form: dict[str, str]) -> tuple[str, str | None, str | None]:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return "client_secret_basic", None, None
        return "client_secret_basic", unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 2.3.1
    if "client_secret" in form:
        return "client_secret_post", form.get("client_id"), form["client_secret"]
    return "none", form.get("client_id"), None


def _pkce_ok(grant: Grant, verifier: str | None) -> bool:
    if grant.code_challenge is None:
        return verifier is None
    if grant.code_challenge_method != "S256" or not verifier:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == grant.code_challenge


def _half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
