"""The `threadkeep` command line: serve, db upgrade, user and token management, export, import, version.

Owns argument parsing and turning flags into Settings (flags > THREADKEEP_* env vars > defaults); the work
itself is done by the app, the store and `importing`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from .accounts_cli import token_app, user_app

app = typer.Typer(help="threadkeep: persistent chat sessions for LLM agents.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the database and workspace live.")]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="sqlite:///path.db or postgresql://user@host/db")
]


def _settings(**flags: Any) -> Any:
    from pydantic import ValidationError

    from .settings import Settings

    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        typer.echo(f"error: invalid settings: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None


def _run(coro: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; a database that cannot be reached is a one-line error, not a traceback."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        return asyncio.run(coro)
    except (DBAPIError, ArgumentError, OSError, ValueError) as exc:
        reason = getattr(exc, "orig", None) or exc
        typer.echo(f"error: cannot use the database: {reason}", err=True)
        return 1


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8787).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    workspace: Annotated[Path | None, typer.Option(help="Default workspace directory.")] = None,
    auth: Annotated[str | None, typer.Option(help="none (one user, loopback only) | password | users.")] = None,
) -> None:
    """Run the server (migrations are applied on start)."""
    import uvicorn

    from .web.app import create_app

    settings = _settings(host=host, port=port, data_dir=data_dir, database_url=database_url, workspace=workspace,
                         auth=auth)
    refusal = _unsafe_bind(settings)
    if refusal:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(2)
    # Reach the database (and migrate it) before uvicorn starts: a bad URL or a server that is down is then
    # one line on stderr and exit 1, not a lifespan traceback.
    code = _run(_upgrade(settings, quiet=True))
    if code:
        raise typer.Exit(code)
    code = _run(_check_accounts(settings))
    if code:
        raise typer.Exit(code)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # What the HTTP layer refuses before the app sees a request, as a plain-text 400 we cannot shape: with
    # httptools (uvicorn's choice when installed) a URL over 65,535 bytes, or bytes that are not HTTP; with
    # h11 (its fallback) a request line + headers over `h11_max_incomplete_event_size`, raised here from
    # h11's 16 KB to match httptools, so a URL from 16 KB up reaches the app's JSON 414 either way.
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        server_header=False,
        timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=64 * 1024,
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler that was in
    # place before it started: make that a clean exit rather than death by signal.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    # ~270,000 objects from imports live as long as the process: keep them out of the cyclic GC, whose full
    # collections otherwise walk them all (~150 ms each, mid-request, while a 10,000-row reply is built).
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run()


def _unsafe_bind(settings: Any) -> str | None:
    """Why `serve` must not start as configured: no logins on an address others can reach."""
    import ipaddress

    if settings.auth != "none":
        return None
    host = settings.host.strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (f"--host {settings.host} lets others reach this server, and --auth none would give them every chat "
            "and your shell: add --auth users (then `threadkeep user add NAME --admin`) or --auth password "
            "(with THREADKEEP_PASSWORD), or bind 127.0.0.1")


async def _check_accounts(settings: Any) -> int:
    """Before serving with logins: say how to make the first account when there is none that can log in."""
    from .auth.accounts import Accounts
    from .db.database import Database

    if settings.auth == "none":
        return 0
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        accounts = Accounts(db, settings)
        await accounts.start()
        if settings.auth == "password" and not await accounts.password_mode_ready():
            typer.echo("error: --auth password needs a password: set THREADKEEP_PASSWORD, or run "
                       "`threadkeep user passwd local`", err=True)
            return 2
        if settings.auth == "users" and not await accounts.users.count_admins() and not settings.oidc_enabled \
                and not settings.proxy_auth:
            typer.echo("threadkeep: no admin can log in yet: create one with "
                       f"`threadkeep user add NAME --admin{_where(settings)}`", err=True)
        return 0
    finally:
        await db.dispose()


def _where(settings: Any) -> str:
    """The flags that point another command at the same database as this one."""
    if settings.database_url:
        return f" --database-url {settings.database_url}"
    from .settings import default_data_dir

    return "" if settings.data_dir == default_data_dir() else f" --data-dir {settings.data_dir}"


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply pending schema migrations."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    raise typer.Exit(_run(_upgrade(settings)))


async def _upgrade(settings: Any, *, quiet: bool = False) -> int:
    from .db import migrate
    from .db.database import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        revision = await migrate.upgrade(db)
        if not quiet:
            typer.echo(f"database at revision {revision}")
        return 0
    finally:
        await db.dispose()


@app.command()
def export(
    session_id: str,
    format: Annotated[str, typer.Option("--format", help="json or md")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
    user: Annotated[str, typer.Option("--user", help="Whose session (default: local, the single user).")] = "local",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export one session as JSON or Markdown."""
    from .sessions.importing import export_session

    if format not in ("json", "md"):
        raise typer.BadParameter("format must be json or md", param_hint="--format")
    settings = _settings(data_dir=data_dir, database_url=database_url)
    code = _run(_as_user(settings, user, lambda owner: export_session(settings, session_id, format, output, owner)))
    raise typer.Exit(code)


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Export files, hermes session files or sessions/ dirs.")],
    user: Annotated[str, typer.Option("--user", help="Who gets them (default: local, the single user).")] = "local",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import sessions from threadkeep exports and hermes-webui session files."""
    from .sessions.importing import import_paths

    settings = _settings(data_dir=data_dir, database_url=database_url)
    code = _run(_as_user(settings, user, lambda owner: import_paths(settings, paths, owner)))
    raise typer.Exit(code)


async def _as_user(settings: Any, username: str, work: Callable[[str], Coroutine[Any, Any, int]]) -> int:
    """Run `work(user_id)` for the user named `username` (`local`: the single user of --auth none/password)."""
    from .auth.users import UserStore
    from .db import migrate
    from .db.database import Database
    from .db.schema import LOCAL_USER_ID

    if username == LOCAL_USER_ID:
        return await work(LOCAL_USER_ID)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        await migrate.upgrade(db)
        user = await UserStore(db).by_username(username)
    finally:
        await db.dispose()
    if user is None:
        typer.echo(f"error: no user named {username!r} (database: {settings.resolved_database_url})", err=True)
        return 1
    return await work(user.id)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"threadkeep {__version__}")


def main() -> None:
    app()
