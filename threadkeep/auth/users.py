"""User accounts: add, find, list, change and remove users, and the `local` user of single-user mode.

Owns the `users` table. Removing a user removes everything they own (sessions, messages, projects, logins,
tokens) in the same transaction. Passwords arrive here already hashed; `accounts` does the checking.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from ..db.database import Database
from ..db.schema import LOCAL_USER_ID, api_tokens, login_sessions, projects, sessions, users
from ..errors import BadRequest, Conflict, NotFound
from .principal import ROLES, Role

USER_NOT_FOUND = "User not found"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


class BadUsername(BadRequest):
    pass


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: stored and compared lower-case."""
    name = raw.strip().lower()
    if not _NAME.match(name):
        raise BadUsername("Username must be 1-64 characters: letters, digits, '.', '_', '@' or '-', "
                          "starting with a letter or digit")
    return name


@dataclass(slots=True)
class User:
    id: str
    username: str
    display_name: str | None
    email: str | None
    role: Role
    password_hash: str | None
    disabled: bool
    source: str
    external_id: str | None
    created_at: float
    updated_at: float
    last_login_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(*row)

    @property
    def unclaimed(self) -> bool:
        """The `local` user as a store made before accounts has it: no password, nobody has taken it over."""
        return self.id == LOCAL_USER_ID and self.username == LOCAL_USER_ID and self.password_hash is None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "email": self.email,
                "role": self.role, "disabled": self.disabled, "source": self.source,
                "has_password": self.password_hash is not None, "created_at": self.created_at,
                "last_login_at": self.last_login_at}


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise BadRequest("role must be 'admin' or 'user'")
    return role


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, user_id: str) -> User:
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        if row is None:
            raise NotFound(USER_NOT_FOUND)
        return User.from_row(row)

    async def by_username(self, username: str) -> User | None:
        try:
            name = normalize_username(username)
        except BadUsername:
            return None
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.username == name))).first()
        return User.from_row(row) if row is not None else None

    async def by_external_id(self, external_id: str) -> User | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(users).where(users.c.external_id == external_id))).first()
        return User.from_row(row) if row is not None else None

    async def list(self) -> list[User]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(users).order_by(users.c.created_at, users.c.username))
            return [User.from_row(r) for r in rows]

    async def count_admins(self) -> int:
        async with self.db.read() as conn:
            query = select(func.count()).select_from(users).where(
                users.c.role == "admin", users.c.disabled.is_(False), users.c.password_hash.is_not(None)
                | users.c.source.in_(["oidc", "proxy"]))
            return int((await conn.execute(query)).scalar_one())

    async def ensure_local(self) -> User:
        """The `local` user, created if it is missing (it owns what `--auth none` creates)."""
        now = time.time()
        async with self.db.write() as conn:
            row = (await conn.execute(select(users).where(users.c.id == LOCAL_USER_ID))).first()
            if row is None:
                taken = (await conn.execute(select(users.c.id).where(users.c.username == LOCAL_USER_ID))).first()
                name = LOCAL_USER_ID if taken is None else f"local-{secrets.token_hex(3)}"
                await conn.execute(insert(users), [{
                    "id": LOCAL_USER_ID, "username": name, "role": "admin", "source": "local", "disabled": False,
                    "created_at": now, "updated_at": now}])
                row = (await conn.execute(select(users).where(users.c.id == LOCAL_USER_ID))).first()
        return User.from_row(row)

    async def add(self, username: str, *, role: str = "user", password_hash: str | None = None,
                  email: str | None = None, display_name: str | None = None, source: str = "local",
                  external_id: str | None = None) -> User:
        """A new user. The first admin added to a store that only has the unclaimed `local` user takes that
        user over (keeping its id, so the sessions made before accounts existed are theirs)."""
        name = normalize_username(username)
        role = _check_role(role)
        now = time.time()
        async with self.db.write() as conn:
            if (await conn.execute(select(users.c.id).where(users.c.username == name))).first() is not None:
                raise UserExists(f"A user named {name!r} already exists")
            local = (await conn.execute(select(users).where(users.c.id == LOCAL_USER_ID))).first()
            others = (await conn.execute(
                select(func.count()).select_from(users).where(users.c.id != LOCAL_USER_ID))).scalar_one()
            values = {"username": name, "role": role, "password_hash": password_hash, "email": email,
                      "display_name": display_name, "source": source, "external_id": external_id,
                      "disabled": False, "updated_at": now}
            if role == "admin" and local is not None and User.from_row(local).unclaimed and not others:
                await conn.execute(update(users).where(users.c.id == LOCAL_USER_ID).values(**values))
                user_id = LOCAL_USER_ID
            else:
                user_id = secrets.token_hex(8)
                await conn.execute(insert(users), [{"id": user_id, "created_at": now, **values}])
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return User.from_row(row)

    async def set_password(self, user_id: str, password_hash: str) -> User:
        return await self._set(user_id, password_hash=password_hash)

    async def set_role(self, user_id: str, role: str) -> User:
        role = _check_role(role)
        user = await self.get(user_id)
        if user.role == "admin" and role != "admin":
            await self._keep_an_admin(user_id)
        return await self._set(user_id, role=role)

    async def set_disabled(self, user_id: str, disabled: bool) -> User:
        if disabled:
            await self._keep_an_admin(user_id)
        user = await self._set(user_id, disabled=disabled)
        if disabled:  # a disabled user is logged out everywhere at once
            async with self.db.write() as conn:
                await conn.execute(delete(login_sessions).where(login_sessions.c.user_id == user_id))
        return user

    async def set_profile(self, user_id: str, *, email: str | None, display_name: str | None) -> User:
        return await self._set(user_id, email=email, display_name=display_name)

    async def logged_in(self, user_id: str) -> None:
        await self._set(user_id, last_login_at=time.time())

    async def remove(self, user_id: str) -> None:
        """Remove a user and everything they own, in one transaction."""
        await self.get(user_id)
        await self._keep_an_admin(user_id)
        async with self.db.write() as conn:
            # Not left to ON DELETE CASCADE: SQLite stores made before accounts have no such foreign keys.
            await conn.execute(delete(sessions).where(sessions.c.owner_id == user_id))
            await conn.execute(delete(projects).where(projects.c.owner_id == user_id))
            await conn.execute(delete(login_sessions).where(login_sessions.c.user_id == user_id))
            await conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
            await conn.execute(delete(users).where(users.c.id == user_id))

    async def _keep_an_admin(self, user_id: str) -> None:
        user = await self.get(user_id)
        if user.role == "admin" and not user.disabled and await self.count_admins() <= 1:
            raise Conflict("This is the last admin: make another user an admin first")

    async def _set(self, user_id: str, **values: Any) -> User:
        values.setdefault("updated_at", time.time())
        async with self.db.write() as conn:
            row = (await conn.execute(
                update(users).where(users.c.id == user_id).values(**values).returning(*users.c))).first()
        if row is None:
            raise NotFound(USER_NOT_FOUND)
        return User.from_row(row)


class UserExists(Conflict):
    pass
