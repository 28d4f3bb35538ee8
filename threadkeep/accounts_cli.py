"""The `threadkeep user ...` and `threadkeep token ...` commands: accounts and API tokens from the shell.

Owns the commands' arguments, password prompts and output; the work is done by `auth.users`,
`auth.credentials` and `auth.passwords`, and every change is written to the audit log as done by `cli`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")

user_app = typer.Typer(help="User accounts (for --auth users; `local` is the single user of the other modes).",
                       no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts (Authorization: Bearer tk_...).", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the database and workspace live.")]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="sqlite:///path.db or postgresql://user@host/db")
]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _with_accounts(data_dir: Path | None, database_url: str | None,
                   work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(accounts)` against the database the flags (or THREADKEEP_* / defaults) point at."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from .auth.accounts import Accounts
    from .cli import _settings
    from .db import migrate
    from .db.database import Database
    from .errors import ApiError

    settings = _settings(data_dir=data_dir, database_url=database_url)

    async def run() -> T:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            await migrate.upgrade(db)
            accounts = Accounts(db, settings)
            await accounts.start()
            return await work(accounts)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except ApiError as exc:
        raise _fail(f"{exc.message} (database: {settings.resolved_database_url})") from None
    except (DBAPIError, ArgumentError, OSError) as exc:
        raise _fail(f"cannot use the database: {getattr(exc, 'orig', None) or exc}") from None


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    from .auth.passwords import WeakPassword, check_new

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    else:
        raise _fail("no terminal to ask for the password: pass --password-stdin and pipe it in", 2)
    try:
        return check_new(password)
    except WeakPassword as exc:
        raise _fail(str(exc), 2) from None


async def _user(accounts: Any, name: str) -> Any:
    from .errors import NotFound

    user = await accounts.users.by_username(name)
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


async def _audit(accounts: Any, event: str, target: str, **detail: Any) -> None:
    await accounts.audit.record(event, actor="cli", target=target, **detail)


@user_app.command("add")
def user_add(
    name: str,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    email: Annotated[str | None, typer.Option(help="The user's email address.")] = None,
    no_password: Annotated[bool, typer.Option("--no-password", help="No password (single sign-on only).")] = False,
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user (asks for the password, or reads it with --password-stdin)."""
    from .auth.passwords import hash_password

    hashed = None if no_password else hash_password(_read_password(password_stdin))

    async def work(accounts: Any) -> Any:
        user = await accounts.users.add(name, role="admin" if admin else "user", password_hash=hashed, email=email)
        await _audit(accounts, "user_added", user.username, role=user.role)
        return user

    user = _with_accounts(data_dir, database_url, work)
    note = " (owns the chats made before accounts existed)" if user.id == "local" else ""
    typer.echo(f"added {user.role} {user.username}{note}")


@user_app.command("passwd")
def user_passwd(name: str, password_stdin: PasswordStdin = False, data_dir: DataDir = None,
                database_url: DatabaseUrl = None) -> None:
    """Set a user's password; their browser logins end and a lockout is lifted."""
    from .auth.passwords import hash_password

    hashed = hash_password(_read_password(password_stdin))

    async def work(accounts: Any) -> None:
        user = await _user(accounts, name)
        await accounts.users.set_password(user.id, hashed)
        await accounts.logins.close_all(user.id)
        await accounts.throttle.clear(f"user:{user.username}")
        await _audit(accounts, "password_reset", user.username)

    _with_accounts(data_dir, database_url, work)
    typer.echo(f"password set for {name}")


@user_app.command("list")
def user_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
              data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List the users."""
    import orjson

    async def work(accounts: Any) -> list[Any]:
        return list(await accounts.users.list())

    users = _with_accounts(data_dir, database_url, work)
    if as_json:
        typer.echo(orjson.dumps([u.to_dict() for u in users], option=orjson.OPT_INDENT_2).decode())
        return
    for u in users:
        flags = [u.role, u.source] + (["disabled"] if u.disabled else []) + ([] if u.password_hash else ["no password"])
        typer.echo(f"{u.username:<24} {u.id:<18} {', '.join(flags)}")


def _set_disabled(name: str, disabled: bool, data_dir: Path | None, database_url: str | None) -> None:
    async def work(accounts: Any) -> None:
        user = await _user(accounts, name)
        await accounts.users.set_disabled(user.id, disabled)
        await _audit(accounts, "user_disabled" if disabled else "user_enabled", user.username)

    _with_accounts(data_dir, database_url, work)
    typer.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@user_app.command("disable")
def user_disable(name: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Disable a user: they are logged out everywhere and their tokens stop working."""
    _set_disabled(name, True, data_dir, database_url)


@user_app.command("enable")
def user_enable(name: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False, data_dir, database_url)


@user_app.command("role")
def user_role(name: str, role: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Set a user's role: admin or user."""
    async def work(accounts: Any) -> None:
        user = await _user(accounts, name)
        await accounts.users.set_role(user.id, role)
        await _audit(accounts, "user_changed", user.username, role=role)

    _with_accounts(data_dir, database_url, work)
    typer.echo(f"{name} is now {role}")


@user_app.command("remove")
def user_remove(name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
                data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Remove a user and everything they own (chats, projects, tokens)."""
    if not yes and not (sys.stdin.isatty() and typer.confirm(f"Remove {name} and all their chats?")):
        raise _fail("not removed: pass --yes to confirm", 2)

    async def work(accounts: Any) -> None:
        user = await _user(accounts, name)
        await accounts.users.remove(user.id)
        await _audit(accounts, "user_removed", user.username)

    _with_accounts(data_dir, database_url, work)
    typer.echo(f"removed {name}")


@token_app.command("create")
def token_create(
    name: str,
    user: Annotated[str, typer.Option("--user", help="Whose token it is.")] = "local",
    scope: Annotated[str, typer.Option(help="read | write | admin")] = "read",
    expires_days: Annotated[float | None, typer.Option("--expires-days", help="Days until it expires.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API token and print it (it is shown this once)."""
    async def work(accounts: Any) -> str:
        owner = await _user(accounts, user)
        if scope == "admin" and owner.role != "admin":
            from .errors import BadRequest

            raise BadRequest("only an admin account can have an admin-scoped token")
        seconds = expires_days * 86400 if expires_days is not None else None
        info, secret = await accounts.tokens.create(owner.id, name, scope, seconds)
        await _audit(accounts, "token_created", info.id, name=name, scope=scope, user=owner.username)
        return str(secret)

    typer.echo(_with_accounts(data_dir, database_url, work))


@token_app.command("list")
def token_list(user: Annotated[str, typer.Option("--user", help="Whose tokens.")] = "local",
               data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List a user's API tokens (never the secrets)."""
    async def work(accounts: Any) -> list[Any]:
        return list(await accounts.tokens.list((await _user(accounts, user)).id))

    for t in _with_accounts(data_dir, database_url, work):
        state = "revoked" if t.revoked_at else "active"
        typer.echo(f"{t.id}  {t.prefix}…  {t.scope:<5}  {state:<7}  {t.name}")


@token_app.command("revoke")
def token_revoke(token_id: str, user: Annotated[str, typer.Option("--user", help="Whose token.")] = "local",
                 data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke an API token: its next request is refused."""
    async def work(accounts: Any) -> None:
        owner = await _user(accounts, user)
        info = await accounts.tokens.revoke(owner.id, token_id)
        await _audit(accounts, "token_revoked", info.id, user=owner.username)

    _with_accounts(data_dir, database_url, work)
    typer.echo(f"revoked {token_id}")
