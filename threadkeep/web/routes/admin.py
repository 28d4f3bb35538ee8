"""Admin routes: manage users (add, change role, disable, reset password, log out, remove) and read the
audit log. Admins manage accounts, never other users' chats: nothing here reads a session.

The middleware lets only an admin (with an admin-scoped credential) reach `/api/admin/*`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from ...auth import passwords
from ...auth.accounts import Accounts
from ...auth.users import User
from ...errors import BadRequest, Conflict
from ..responses import JsonReply, reply
from .auth import accounts_of
from .deps import Body, Me

router = APIRouter(tags=["admin"])

UserId = Annotated[str, Field(min_length=1, max_length=32)]


class NewUser(Body):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None
    role: Literal["admin", "user"] = "user"
    email: Annotated[str, Field(max_length=320)] | None = None
    display_name: Annotated[str, Field(max_length=200)] | None = None


class UserRef(Body):
    user_id: UserId


class UserUpdate(UserRef):
    role: Literal["admin", "user"] | None = None
    disabled: bool | None = None


class PasswordReset(UserRef):
    password: Annotated[str, Field(min_length=8, max_length=1024)]


def _ip(request: Request) -> str | None:
    return getattr(request.state, "client_ip", None)


async def _audit(accounts: Accounts, me: Me, request: Request, event: str, user: User, **detail: Any) -> None:
    await accounts.audit.record(event, actor_id=me.user_id, actor=me.username, target=user.username,
                                ip=_ip(request), **detail)


def _strong(password: str) -> str:
    try:
        return passwords.check_new(password)
    except passwords.WeakPassword as exc:
        raise BadRequest(str(exc)) from None


@router.get("/api/admin/users")
async def list_users(request: Request) -> JsonReply:
    users = await accounts_of(request).users.list()
    return reply({"users": [u.to_dict() for u in users]})


@router.post("/api/admin/users/create")
async def create_user(body: NewUser, me: Me, request: Request) -> JsonReply:
    accounts = accounts_of(request)
    hashed = await passwords.hash_async(_strong(body.password)) if body.password is not None else None
    user = await accounts.users.add(body.username, role=body.role, password_hash=hashed, email=body.email,
                                    display_name=body.display_name)
    await _audit(accounts, me, request, "user_added", user, role=user.role)
    return reply({"ok": True, "user": user.to_dict()})


@router.post("/api/admin/users/update")
async def update_user(body: UserUpdate, me: Me, request: Request) -> JsonReply:
    """Change a user's role and/or disable them (a disabled user is logged out everywhere)."""
    accounts = accounts_of(request)
    user = await accounts.users.get(body.user_id)
    if body.user_id == me.user_id and (body.disabled or (body.role is not None and body.role != "admin")):
        raise Conflict("You cannot disable yourself or take away your own admin role")
    if body.role is not None and body.role != user.role:
        user = await accounts.users.set_role(user.id, body.role)
        await _audit(accounts, me, request, "user_changed", user, role=user.role)
    if body.disabled is not None and body.disabled != user.disabled:
        user = await accounts.users.set_disabled(user.id, body.disabled)
        await _audit(accounts, me, request, "user_disabled" if body.disabled else "user_enabled", user)
    return reply({"ok": True, "user": user.to_dict()})


@router.post("/api/admin/users/password")
async def reset_password(body: PasswordReset, me: Me, request: Request) -> JsonReply:
    """Set a user's password; their logins end, and their lockout (if any) is lifted."""
    accounts = accounts_of(request)
    user = await accounts.users.get(body.user_id)
    user = await accounts.users.set_password(user.id, await passwords.hash_async(_strong(body.password)))
    await accounts.logins.close_all(user.id)
    await accounts.throttle.clear(f"user:{user.username}")
    await _audit(accounts, me, request, "password_reset", user)
    return reply({"ok": True, "user": user.to_dict()})


@router.post("/api/admin/users/logout")
async def logout_user(body: UserRef, me: Me, request: Request) -> JsonReply:
    accounts = accounts_of(request)
    user = await accounts.users.get(body.user_id)
    closed = await accounts.logins.close_all(user.id)
    await _audit(accounts, me, request, "user_logged_out", user, closed=closed)
    return reply({"ok": True, "closed": closed})


@router.post("/api/admin/users/delete")
async def delete_user(body: UserRef, me: Me, request: Request) -> JsonReply:
    """Remove a user with everything they own."""
    accounts = accounts_of(request)
    if body.user_id == me.user_id:
        raise Conflict("You cannot remove yourself")
    user = await accounts.users.get(body.user_id)
    await accounts.users.remove(user.id)
    await _audit(accounts, me, request, "user_removed", user)
    return reply({"ok": True})


@router.get("/api/admin/audit")
async def audit(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                before: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
                event: Annotated[str | None, Query(max_length=64)] = None) -> JsonReply:
    """The audit log, newest first; `before` (an entry id) pages back."""
    entries = await accounts_of(request).audit.page(limit=limit, before=before, event=event)
    next_before = entries[-1].id if len(entries) == limit else None
    return reply({"events": [e.to_dict() for e in entries], "next_before": next_before})
