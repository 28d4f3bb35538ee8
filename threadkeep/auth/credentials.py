"""Credentials a request can carry: browser login sessions (a cookie) and API tokens (`Bearer tk_...`).

Owns the `login_sessions` and `api_tokens` tables. Only a SHA-256 of each secret is stored, so a copy of the
database logs nobody in. Resolving a credential is one indexed read joined with its user; the last-seen time
is written at most once a minute, so a busy client does not turn every read into a write.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from ..db.database import Database
from ..db.schema import api_tokens, login_sessions, users
from ..errors import BadRequest, NotFound
from .principal import SCOPES, Principal, Scope

TOKEN_PREFIX = "tk_"
_TOUCH_EVERY = 60.0
MAX_TOKEN_SECONDS = 10 * 365 * 86400


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_LOGIN = (
    select(login_sessions.c.id, login_sessions.c.csrf_token, login_sessions.c.last_seen_at,
           login_sessions.c.expires_at, users.c.id.label("user_id"), users.c.username, users.c.role,
           users.c.disabled)
    .join(users, users.c.id == login_sessions.c.user_id)
    .where(login_sessions.c.id == bindparam("id"))
)
_TOKEN = (
    select(api_tokens.c.id, api_tokens.c.scope, api_tokens.c.expires_at, api_tokens.c.revoked_at,
           api_tokens.c.last_used_at, users.c.id.label("user_id"), users.c.username, users.c.role,
           users.c.disabled)
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("hash"))
)


@dataclass(slots=True)
class TokenInfo:
    id: str
    name: str
    prefix: str
    scope: Scope
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> TokenInfo:
        return cls(row.id, row.name, row.prefix, row.scope, row.created_at, row.expires_at, row.last_used_at,
                   row.revoked_at)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "scope": self.scope,
                "created_at": self.created_at, "expires_at": self.expires_at, "last_used_at": self.last_used_at,
                "revoked": self.revoked_at is not None}


@dataclass(frozen=True, slots=True)
class Resolved:
    principal: Principal
    first_use: bool = False  # a token's first use in a while: worth a line in the audit log


class Logins:
    """Browser login sessions: idle expiry (since the last request) and absolute expiry (since login)."""

    def __init__(self, db: Database, *, idle_seconds: float, absolute_seconds: float) -> None:
        self.db = db
        self.idle = idle_seconds
        self.absolute = absolute_seconds

    async def open(self, user_id: str, *, ip: str | None, user_agent: str | None) -> tuple[str, str, str]:
        """A new login for `user_id`: (cookie token, login id, CSRF token). Always a fresh id: no fixation."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = time.time()
        login_id = digest(token)
        async with self.db.write() as conn:
            await conn.execute(insert(login_sessions), [{
                "id": login_id, "user_id": user_id, "csrf_token": csrf, "created_at": now, "last_seen_at": now,
                "expires_at": now + self.absolute, "ip": ip, "user_agent": (user_agent or "")[:300] or None}])
        return token, login_id, csrf

    async def resolve(self, token: str) -> Principal | None:
        login_id = digest(token)
        async with self.db.read() as conn:
            row = (await conn.execute(_LOGIN, {"id": login_id})).first()
        now = time.time()
        if row is None or row.disabled:
            return None
        if now >= row.expires_at or now - row.last_seen_at >= self.idle:
            await self.close(login_id)
            return None
        if now - row.last_seen_at >= _TOUCH_EVERY:
            async with self.db.write() as conn:
                await conn.execute(update(login_sessions).where(login_sessions.c.id == login_id)
                                   .values(last_seen_at=now))
        return Principal(row.user_id, row.username, row.role, "cookie", "admin", login_id, row.csrf_token)

    async def close(self, login_id: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(login_sessions).where(login_sessions.c.id == login_id))

    async def close_all(self, user_id: str, *, keep: str | None = None) -> int:
        async with self.db.write() as conn:
            query = delete(login_sessions).where(login_sessions.c.user_id == user_id)
            if keep is not None:
                query = query.where(login_sessions.c.id != keep)
            return int((await conn.execute(query)).rowcount or 0)

    async def count(self, user_id: str) -> int:
        async with self.db.read() as conn:
            rows = await conn.execute(select(login_sessions.c.id).where(login_sessions.c.user_id == user_id))
            return len(rows.all())


class ApiTokens:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, user_id: str, name: str, scope: str,
                     expires_in: float | None = None) -> tuple[TokenInfo, str]:
        """A new token: its description and the secret itself, which is shown once and never stored."""
        if scope not in SCOPES:
            raise BadRequest("scope must be 'read', 'write' or 'admin'")
        if expires_in is not None and not 0 < expires_in <= MAX_TOKEN_SECONDS:
            raise BadRequest(f"expires_in must be between 1 and {MAX_TOKEN_SECONDS} seconds")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = time.time()
        row = {"id": secrets.token_hex(8), "user_id": user_id, "name": name, "token_hash": digest(secret),
               "prefix": secret[:10], "scope": scope, "created_at": now,
               "expires_at": now + expires_in if expires_in is not None else None,
               "last_used_at": None, "revoked_at": None}
        async with self.db.write() as conn:
            await conn.execute(insert(api_tokens), [row])
        return TokenInfo(row["id"], name, row["prefix"], scope, now, row["expires_at"], None, None), secret  # type: ignore[arg-type]

    async def list(self, user_id: str) -> list[TokenInfo]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(api_tokens).where(api_tokens.c.user_id == user_id)
                                      .order_by(api_tokens.c.created_at.desc()))
            return [TokenInfo.from_row(r) for r in rows]

    async def revoke(self, user_id: str, token_id: str) -> TokenInfo:
        """Revoke one of `user_id`'s tokens, at once; another user's token is not found."""
        async with self.db.write() as conn:
            row = (await conn.execute(
                update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
                .values(revoked_at=time.time()).returning(*api_tokens.c))).first()
        if row is None:
            raise NotFound("Token not found")
        return TokenInfo.from_row(row)

    async def resolve(self, secret: str) -> Resolved | None:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        async with self.db.read() as conn:
            row = (await conn.execute(_TOKEN, {"hash": digest(secret)})).first()
        now = time.time()
        if row is None or row.disabled or row.revoked_at is not None:
            return None
        if row.expires_at is not None and now >= row.expires_at:
            return None
        first_use = row.last_used_at is None or now - row.last_used_at >= 3600
        if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
            async with self.db.write() as conn:
                await conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
        principal = Principal(row.user_id, row.username, row.role, "token", row.scope, row.id)
        return Resolved(principal, first_use)
