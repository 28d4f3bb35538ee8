"""The application factory: `create_app(settings)` builds one complete threadkeep instance.

Owns wiring only: the database, the store and other runtime state are created in the lifespan and hung on
`app.state`; middleware, error handlers and the route table are installed here. Nothing is module-level,
so tests can run many apps side by side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from .. import __version__, errors
from ..auth.accounts import Accounts
from ..chat.approvals import MemoryApprovals
from ..chat.pricing import Pricing
from ..chat.streams import MemoryStreamRegistry
from ..chat.tokens import TokenCounter
from ..chat.tools import Toolbox
from ..chat.turn_store import TurnStore
from ..chat.turns import Turns
from ..db import migrate
from ..db.database import Database
from ..providers import registry_for
from ..providers.config import load_provider_config
from ..sessions.store import SessionStores
from ..settings import Settings
from . import openapi
from .authn import AuthMiddleware
from .jsonbody import JsonBodyMiddleware
from .routes import (
    absent,
    admin,
    approvals,
    auth,
    chat,
    files,
    health,
    models,
    preferences,
    projects,
    search,
    sessions,
    transcript,
    ui,
    workspaces,
)
from .security import SecurityMiddleware

log = logging.getLogger("threadkeep")


def oidc_client(settings: Settings) -> Any:
    """The OpenID Connect client when single sign-on is configured (authlib is imported only then)."""
    if not settings.oidc_enabled:
        return None
    from ..auth.oidc import OidcClient, OidcConfig

    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    config = OidcConfig(
        discovery_url=settings.oidc_discovery_url or "", client_id=settings.oidc_client_id or "",
        client_secret=secret, scopes=settings.oidc_scopes, allowed_domains=tuple(settings.oidc_allowed_domains),
        groups_claim=settings.oidc_groups_claim, admin_groups=tuple(settings.oidc_admin_groups),
        allowed_groups=tuple(settings.oidc_allowed_groups),
    )
    return OidcClient(config)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.started_at = time.monotonic()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.default_workspace.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            revision = await migrate.upgrade(db)
            stores = SessionStores(db)
            stale = await stores.clear_stale_streams()
            if stale:
                log.warning("cleared %d turn(s) left running by an earlier process", stale)
            app.state.db = db
            app.state.sessions = stores
            app.state.accounts = Accounts(db, settings)
            await app.state.accounts.start()
            app.state.oidc = oidc_client(settings)
            provider_config = load_provider_config(settings.data_dir)
            app.state.tokens = TokenCounter()
            app.state.pricing = Pricing(provider_config.prices)
            app.state.providers = registry_for(settings, provider_config, app.state.tokens)
            await app.state.providers.refresh(settings.models_fetch_timeout)
            app.state.streams = MemoryStreamRegistry(ttl=settings.stream_ttl_seconds)
            await app.state.streams.start()
            app.state.approvals = MemoryApprovals()
            app.state.tools = Toolbox(command_timeout=settings.tool_timeout_seconds,
                                      output_cap=settings.tool_output_max_chars,
                                      max_read_bytes=settings.file_read_max_bytes, sandbox=settings.sandbox,
                                      cpu_seconds=settings.tool_cpu_seconds, memory_mb=settings.tool_memory_mb,
                                      file_size_mb=settings.tool_file_size_mb,
                                      max_processes=settings.tool_max_processes)
            app.state.turns = Turns(
                sessions=stores, turn_store=TurnStore(db), streams=app.state.streams, providers=app.state.providers,
                tools=app.state.tools, approvals=app.state.approvals, pricing=app.state.pricing,
                tokens=app.state.tokens, max_tool_steps=settings.max_tool_steps,
                checkpoint_seconds=settings.checkpoint_seconds,
            )
            await app.state.turns.resume_queues()
            log.info("threadkeep %s ready: %s database at revision %s", __version__, db.dialect, revision)
            yield
        finally:
            if getattr(app.state, "turns", None) is not None:
                await app.state.turns.shutdown()
            if getattr(app.state, "streams", None) is not None:
                await app.state.streams.close()
            if getattr(app.state, "providers", None) is not None:
                await app.state.providers.aclose()
            if getattr(app.state, "oidc", None) is not None:
                await app.state.oidc.aclose()
            await db.dispose()

    app = FastAPI(
        title="threadkeep",
        version=__version__,
        summary="Persistent chat sessions for LLM agents; session API compatible with hermes-webui.",
        lifespan=lifespan,
        # hermes clients do not always send Content-Type: a body without one is read as JSON.
        strict_content_type=False,
    )
    app.state.settings = settings
    errors.install(app)
    for module in (health, auth, admin, sessions, transcript, search, projects, models, chat, files, approvals,
                   workspaces, preferences, absent):
        app.include_router(module.router)
    ui.mount(app)
    openapi.install(app)
    app.add_middleware(JsonBodyMiddleware)  # innermost: a body is read only once security and auth let it in
    # Added before the security baseline, so that runs first (Host, Origin, body size), then authentication.
    app.add_middleware(AuthMiddleware, settings=settings)
    app.add_middleware(
        SecurityMiddleware,
        bound_host=settings.host,
        allowed_hosts=settings.allowed_hosts,
        max_body=settings.max_body_bytes,
    )
    return app
