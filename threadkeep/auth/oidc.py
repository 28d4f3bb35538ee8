"""OpenID Connect login, relying-party side: the authorization URL, the code exchange, the ID token's checks.

Owns one identity provider's discovery document and signing keys (fetched lazily, cached on the client) and
the policy that turns validated claims into an `OidcIdentity`: allowed email domains and groups, the admin role.
It keeps no login state: `begin` hands back what the caller keeps until `finish` (a signed cookie, say). Users,
sessions and the login routes are not here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

LEEWAY = 60  # seconds of clock skew tolerated on the ID token's exp and iat
USERNAME_MAX = 64
_USERNAME_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
_ERROR_CODE = re.compile(r"[a-z0-9_.-]{1,64}")
_PENDING_KEYS = ("state", "nonce", "code_verifier", "redirect_uri")
_REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
_CLAIM_MESSAGES = {
    "iss": "The sign-in came from a different identity provider than the one configured.",
    "aud": "The identity provider issued the sign-in for a different application.",
    "azp": "The identity provider issued the sign-in for a different application.",
    "nonce": "The sign-in does not belong to this login attempt. Please try again.",
    "iat": "The sign-in was issued in the future; check this server's clock.",
    "nbf": "The sign-in is not valid yet; check this server's clock.",
}


@dataclass(frozen=True)
class OidcConfig:
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    allowed_domains: tuple[str, ...] = ()  # empty: any; else a verified email in one of these (case-insensitive)
    groups_claim: str = "groups"  # a claim name, or a dotted path into nested claims ("realm_access.roles")
    admin_groups: tuple[str, ...] = ()  # a member of one of these gets role "admin"
    allowed_groups: tuple[str, ...] = ()  # non-empty: must be in one of these (or an admin group) to log in
    username_claim: str = "preferred_username"

    def __post_init__(self) -> None:
        if "openid" not in self.scopes.split():
            raise ValueError("OIDC scopes must include 'openid'")


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    issuer: str
    email: str | None
    username: str
    name: str | None
    groups: tuple[str, ...]
    role: str  # "admin" | "user"
    email_verified: bool = False  # the provider vouches for `email` (never link accounts by an unverified one)


class OidcError(Exception):
    """A login that cannot go through; the message is safe to show the user (the cause is chained)."""


class OidcClient:
    """The relying party for one identity provider: `begin` a login, `finish` it, `aclose` at shutdown."""

    def __init__(self, config: OidcConfig, *, http_timeout: float = 10.0) -> None:
        self.config = config
        self._http = AsyncOAuth2Client(client_id=config.client_id, client_secret=config.client_secret,
                                       scope=config.scopes, code_challenge_method="S256", timeout=http_timeout)
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def begin(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The URL to send the browser to, and the pending state `finish` needs back (keep it server-side)."""
        metadata = await self.metadata()
        pending = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
                   "code_verifier": secrets.token_urlsafe(64), "redirect_uri": redirect_uri}
        url, _ = self._http.create_authorization_url(
            metadata["authorization_endpoint"], state=pending["state"], code_verifier=pending["code_verifier"],
            nonce=pending["nonce"], redirect_uri=redirect_uri)
        return str(url), pending

    async def finish(self, params: Mapping[str, str], pending: Mapping[str, str]) -> OidcIdentity:
        """Check the provider's redirect (`params`: its query) against `pending`, redeem the code, vet the user."""
        if any(not isinstance(pending.get(key), str) or not pending[key] for key in _PENDING_KEYS):
            raise OidcError("This login has expired. Please try again.")
        metadata = await self.metadata()
        code = self._check_redirect(params, pending, metadata)
        token = await self._redeem(code, pending, metadata)
        claims = await self._id_token_claims(token, pending["nonce"], metadata)
        claims = await self._with_userinfo(claims, token, metadata)
        return self._identity(claims)

    # -- discovery and keys -------------------------------------------------------------------------

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once."""
        if self._metadata is None:
            document = await self._get_json(self.config.discovery_url)
            if any(not isinstance(document.get(key), str) for key in _REQUIRED_METADATA):
                raise OidcError("The identity provider's configuration is incomplete.")
            self._metadata = document
        return self._metadata

    async def _signing_keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            document = await self._get_json((await self.metadata())["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(cast(Any, document))
            except (JoseError, ValueError, KeyError, TypeError) as error:
                raise OidcError("The identity provider published unusable signing keys.") from error
        return self._keys

    async def _get_json(self, url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self._http.request("GET", url, withhold_token=True, headers=headers)
            response.raise_for_status()
            document = response.json()
        except (httpx2.HTTPError, ValueError) as error:
            raise OidcError("The identity provider could not be reached. Please try again later.") from error
        if not isinstance(document, dict):
            raise OidcError("The identity provider sent an unexpected reply.")
        return document

    # -- the steps of `finish` ----------------------------------------------------------------------

    def _check_redirect(self, params: Mapping[str, str], pending: Mapping[str, str],
                        metadata: Mapping[str, Any]) -> str:
        if params.get("error"):  # shown to the user: only an error code, never text from the query
            reason = params["error"] if _ERROR_CODE.fullmatch(params["error"]) else "error"
            raise OidcError(f"The identity provider refused the sign-in ({reason}).")
        if not hmac.compare_digest(params.get("state", "").encode(), pending["state"].encode()):
            raise OidcError("This login does not match the one started here. Please try again.")
        # RFC 9207: a provider that names itself on the redirect must be the one we sent the user to.
        if "iss" in params and params["iss"] != metadata["issuer"]:
            raise OidcError("The sign-in came from a different identity provider than the one configured.")
        code = params.get("code", "")
        if not code:
            raise OidcError("The identity provider sent no authorization code.")
        return code

    async def _redeem(self, code: str, pending: Mapping[str, str], metadata: Mapping[str, Any]) -> dict[str, Any]:
        try:
            token = await self._http.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code,
                redirect_uri=pending["redirect_uri"], code_verifier=pending["code_verifier"],
                auth=self._http.client_auth(_client_auth_method(metadata)))
        except OAuthError as error:
            raise OidcError("The identity provider did not accept this login. Please try again.") from error
        except (httpx2.HTTPError, ValueError) as error:
            raise OidcError("The identity provider could not be reached. Please try again later.") from error
        if not isinstance(token.get("id_token"), str):
            raise OidcError("The identity provider sent no ID token.")
        return dict(token)

    async def _id_token_claims(self, token: Mapping[str, Any], nonce: str,
                               metadata: Mapping[str, Any]) -> dict[str, Any]:
        algorithms = [alg for alg in metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
                      if alg in JWSRegistry.algorithms and alg != "none" and not alg.startswith("HS")]
        registry = JWSRegistry(algorithms=algorithms or ["RS256"], strict_check_header=False)
        try:
            try:
                decoded = jwt.decode(token["id_token"], await self._signing_keys(), registry=registry)
            except InvalidKeyIdError:  # the provider may have rotated its keys since we fetched them
                decoded = jwt.decode(token["id_token"], await self._signing_keys(refresh=True), registry=registry)
        except (JoseError, ValueError) as error:
            raise OidcError("The identity provider's sign-in could not be verified.") from error
        options = {"iss": {"essential": True, "value": metadata["issuer"]},
                   "aud": {"essential": True, "value": self.config.client_id},
                   "sub": {"essential": True}, "exp": {"essential": True}, "iat": {"essential": True}}
        params = {"nonce": nonce, "client_id": self.config.client_id, "access_token": token.get("access_token")}
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        try:
            claims.validate(leeway=LEEWAY)
        except ExpiredTokenError as error:
            raise OidcError("The sign-in has expired; check this server's clock and try again.") from error
        except ClaimError as error:
            message = _CLAIM_MESSAGES.get(error.claim, "The identity provider's sign-in is not valid.")
            raise OidcError(message) from error
        return dict(claims)

    async def _with_userinfo(self, claims: dict[str, Any], token: Mapping[str, Any],
                             metadata: Mapping[str, Any]) -> dict[str, Any]:
        """Fill profile claims the ID token lacks from the userinfo endpoint (the ID token's own claims win)."""
        wanted = ["email", self.config.username_claim]
        if self.config.admin_groups or self.config.allowed_groups:
            wanted.append(self.config.groups_claim)
        endpoint, access_token = metadata.get("userinfo_endpoint"), token.get("access_token")
        if all(_claim(claims, name) is not None for name in wanted) or not endpoint or not access_token:
            return claims
        userinfo = await self._get_json(endpoint, {"Authorization": f"Bearer {access_token}"})
        if userinfo.get("sub") != claims["sub"]:
            raise OidcError("The identity provider's profile is for a different user.")
        return {**userinfo, **claims}

    # -- policy -------------------------------------------------------------------------------------

    def _identity(self, claims: Mapping[str, Any]) -> OidcIdentity:
        """Validated claims as an identity, or OidcError when this server's rules keep the user out."""
        config = self.config
        email = claims.get("email") if isinstance(claims.get("email"), str) else None
        verified = claims.get("email_verified") in (True, "true")  # some providers send a string
        if config.allowed_domains:
            if email is None:
                raise OidcError("Your account has no email address, which this server requires.")
            if not verified:
                raise OidcError("Your email address is not verified by your identity provider.")
            allowed = {domain.lower().lstrip("@") for domain in config.allowed_domains}
            if email.rpartition("@")[2].lower() not in allowed:
                raise OidcError("Your email domain is not allowed on this server.")
        groups = _groups(_claim(claims, config.groups_claim))
        admin = any(group in config.admin_groups for group in groups)
        if config.allowed_groups and not admin and not any(group in config.allowed_groups for group in groups):
            raise OidcError("Your account is not in a group allowed to use this server.")
        name = claims.get("name")
        return OidcIdentity(subject=str(claims["sub"]), issuer=str(claims["iss"]), email=email,
                            username=username(claims, config.username_claim), name=name if isinstance(name, str)
                            else None, groups=groups, role="admin" if admin else "user", email_verified=verified)


def username(claims: Mapping[str, Any], claim: str) -> str:
    """`claim`, else the email's local part, else `sub`: only [A-Za-z0-9._@-], at most 64 characters."""
    email = claims.get("email")
    local_part = email.rpartition("@")[0] if isinstance(email, str) else None
    for candidate in (_claim(claims, claim), local_part, claims.get("sub")):
        if isinstance(candidate, str):
            cleaned = _USERNAME_UNSAFE.sub("-", candidate).strip("-.")[:USERNAME_MAX].rstrip("-.")
            if cleaned:
                return cleaned
    return "user-" + hashlib.sha256(str(claims.get("sub")).encode()).hexdigest()[:16]


def _client_auth_method(metadata: Mapping[str, Any]) -> str:
    """client_secret_basic (the default of the spec) unless the provider only takes client_secret_post."""
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in supported and "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name, or by dotted path into nested objects when no claim has that exact name."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _groups(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(group for group in value if isinstance(group, str))
    return ()
