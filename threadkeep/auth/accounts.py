"""Accounts as the server uses them: log in and out, change a password, and find the user behind a cookie,
an API token, a trusted proxy's header or a single-sign-on identity.

Owns the rules that join the parts (users, credentials, throttle, audit): which mode allows what, what is
audited, and the server secret every instance shares. It speaks HTTP nowhere; `web/` calls it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from ..db.database import Database
from ..db.schema import LOCAL_USER_ID, server_secrets
from ..errors import BadRequest, Forbidden, TooManyRequests, Unauthorized
from ..settings import Settings
from . import passwords
from .audit import AuditLog
from .credentials import ApiTokens, Logins, Resolved
from .principal import Principal
from .throttle import LoginThrottle
from .users import User, UserStore, normalize_username

WRONG_LOGIN = "Wrong username or password"


@dataclass(frozen=True, slots=True)
class LoggedIn:
    principal: Principal
    cookie: str  # the login session's secret, for the cookie


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """A user vouched for by an identity provider or a trusted proxy."""

    source: str  # "oidc" | "proxy"
    external_id: str  # "<issuer>|<sub>" or "proxy|<name>"
    username: str
    email: str | None
    display_name: str | None
    role: str


class Accounts:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.mode = settings.auth
        self.users = UserStore(db)
        self.logins = Logins(db, idle_seconds=settings.login_idle_seconds,
                             absolute_seconds=settings.login_max_seconds)
        self.tokens = ApiTokens(db)
        self.throttle = LoginThrottle(db)
        self.audit = AuditLog(db)
        self._configured_password = settings.password.get_secret_value() if settings.password else None
        self._password_hash: str | None = None
        self._secret = b""
        self.local: Principal | None = None

    async def start(self) -> None:
        """Load what every request needs: the local user (single-user modes) and the shared server secret."""
        local = await self.users.ensure_local()
        self.local = Principal(local.id, local.username, "admin", "none")
        self._secret = (await self._server_secret("instance")).encode()
        if self._configured_password is not None:
            self._password_hash = await passwords.hash_async(self._configured_password)

    async def password_mode_ready(self) -> bool:
        """`password` mode needs a password: THREADKEEP_PASSWORD or the local user's own."""
        return self._configured_password is not None or (await self.users.get(LOCAL_USER_ID)).password_hash is not None

    async def _server_secret(self, name: str) -> str:
        """A random secret made once per database: the first instance to start writes it, the others read it."""
        if self.db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        statement = upsert(server_secrets).values(name=name, value=secrets.token_hex(32)).on_conflict_do_nothing()
        async with self.db.write() as conn:
            await conn.execute(statement)
            stored = await conn.execute(select(server_secrets.c.value).where(server_secrets.c.name == name))
            return str(stored.scalar_one())

    def sign(self, text: str) -> str:
        """An HMAC of `text` under the server secret (same on every instance)."""
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    # -- logging in ----------------------------------------------------------------------------------

    async def login(self, username: str | None, password: str, *, ip: str | None,
                    user_agent: str | None) -> LoggedIn:
        """Check a username and password (password alone in `password` mode) and open a login session.

        Unauthorized on a wrong pair (the same message whether or not the user exists); TooManyRequests,
        with the seconds to wait, while the account or the address is locked by the throttle.
        """
        if self.mode == "none":
            raise BadRequest("This server runs without logins (--auth none)")
        user: User | None
        if self.mode == "password":
            user = await self.users.get(LOCAL_USER_ID)
            name = user.username
        else:
            if not username:
                raise BadRequest("username is required")
            name = username.strip().lower()[:64]
            user = await self.users.by_username(name) if name else None
        keys = [f"user:{name}"] + ([f"ip:{ip}"] if ip else [])
        locked = await self.throttle.check(keys)
        if locked is not None:
            await self.audit.record("login_blocked", actor=name, ip=ip, retry_after=locked.retry_after)
            raise self._too_many(locked.is_account, locked.retry_after)
        stored = user.password_hash if user is not None else None
        if self.mode == "password" and self._password_hash is not None:
            ok = await passwords.verify_async(self._password_hash, password)
            ok = ok or (stored is not None and await passwords.verify_async(stored, password))
        else:
            ok = await passwords.verify_async(stored, password)
        if not ok or user is None or user.disabled:
            locked = await self.throttle.failed(keys)
            await self.audit.record("login_failed", actor_id=user.id if user else None, actor=name, ip=ip,
                                    reason="disabled" if ok and user is not None else "wrong password")
            if locked is not None:
                await self.audit.record("login_locked", actor=name, ip=ip, key=locked.key,
                                        retry_after=locked.retry_after)
                raise self._too_many(locked.is_account, locked.retry_after)
            raise Unauthorized(WRONG_LOGIN)
        await self.throttle.succeeded(keys[0])
        if stored is not None and passwords.needs_rehash(stored):
            await self.users.set_password(user.id, await passwords.hash_async(password))
        return await self._open(user, ip=ip, user_agent=user_agent, how="password")

    @staticmethod
    def _too_many(account: bool, retry_after: int) -> TooManyRequests:
        if account:
            message = (f"Too many failed logins for this account: it is locked for {retry_after} s. "
                       "Try again later, or ask an admin to reset the password.")
        else:
            message = f"Too many failed logins from this address: try again in {retry_after} s."
        return TooManyRequests(message, retry_after=retry_after, locked=True)

    async def _open(self, user: User, *, ip: str | None, user_agent: str | None, how: str) -> LoggedIn:
        token, login_id, csrf = await self.logins.open(user.id, ip=ip, user_agent=user_agent)
        await self.users.logged_in(user.id)
        await self.audit.record("login_ok", actor_id=user.id, actor=user.username, ip=ip, method=how)
        principal = Principal(user.id, user.username, user.role, "cookie", "admin", login_id, csrf)
        return LoggedIn(principal, token)

    async def external_login(self, identity: ExternalIdentity, *, ip: str | None,
                             user_agent: str | None) -> LoggedIn:
        """Open a login session for a user an identity provider vouched for (created on first login)."""
        user = await self.external_user(identity, ip=ip)
        return await self._open(user, ip=ip, user_agent=user_agent, how=identity.source)

    async def external_user(self, identity: ExternalIdentity, *, ip: str | None) -> User:
        """The account of an external identity: found by its id, created on first sight; its role follows the
        provider's groups on every login."""
        user = await self.users.by_external_id(identity.external_id)
        if user is None:
            name = normalize_username(identity.username)
            if await self.users.by_username(name) is not None:
                name = normalize_username(f"{name[:50]}-{secrets.token_hex(3)}")
            user = await self.users.add(name, role=identity.role, email=identity.email,
                                        display_name=identity.display_name, source=identity.source,
                                        external_id=identity.external_id)
            await self.audit.record("user_added", actor_id=user.id, actor=user.username, target=user.username,
                                    ip=ip, source=identity.source, role=user.role)
        elif user.role != identity.role and not (user.role == "admin" and await self.users.count_admins() <= 1):
            user = await self.users.set_role(user.id, identity.role)
            await self.audit.record("user_changed", actor=identity.source, target=user.username, ip=ip,
                                    role=user.role)
        if user.disabled:
            raise Forbidden("This account is disabled")
        return user

    async def logout(self, principal: Principal, *, ip: str | None) -> None:
        if principal.method == "cookie" and principal.login_id:
            await self.logins.close(principal.login_id)
        await self.audit.record("logout", actor_id=principal.user_id, actor=principal.username, ip=ip)

    async def logout_everywhere(self, principal: Principal, *, ip: str | None) -> int:
        closed = await self.logins.close_all(principal.user_id)
        await self.audit.record("logout_all", actor_id=principal.user_id, actor=principal.username, ip=ip,
                                closed=closed)
        return closed

    async def change_password(self, principal: Principal, current: str, new: str, *, ip: str | None) -> None:
        user = await self.users.get(principal.user_id)
        if user.password_hash is not None and not await passwords.verify_async(user.password_hash, current):
            await self.audit.record("password_change_failed", actor_id=user.id, actor=user.username, ip=ip)
            raise Forbidden("The current password is wrong")
        await self.users.set_password(user.id, await passwords.hash_async(_new_password(new)))
        # Every other login of this user ends: whoever knew the old password is out.
        await self.logins.close_all(user.id, keep=principal.login_id)
        await self.audit.record("password_changed", actor_id=user.id, actor=user.username, target=user.username,
                                ip=ip)

    # -- who a request is ----------------------------------------------------------------------------

    async def by_cookie(self, token: str) -> Principal | None:
        return await self.logins.resolve(token)

    async def by_token(self, secret: str, *, ip: str | None) -> Principal | None:
        resolved: Resolved | None = await self.tokens.resolve(secret)
        if resolved is None:
            return None
        if resolved.first_use:
            p = resolved.principal
            await self.audit.record("token_used", actor_id=p.user_id, actor=p.username, target=p.login_id, ip=ip)
        return resolved.principal

    def proxy_principal(self, user: User) -> Principal:
        return Principal(user.id, user.username, user.role, "proxy", "admin", None, self.sign(f"csrf:{user.id}"))


def _new_password(password: str) -> str:
    try:
        return passwords.check_new(password)
    except passwords.WeakPassword as exc:
        raise BadRequest(str(exc)) from None
