"""Test helpers for accounts: an app in `--auth users` mode on each database, users, and logged-in clients.

Clients are httpx clients on the in-process app, each with its own cookie jar; a logged-in one sends its
CSRF token on every request, as the page does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from threadkeep.auth import passwords

PASSWORD = "correct horse battery"
BASE = "http://127.0.0.1:8787"


@pytest.fixture
def users_settings(settings: Any) -> Any:
    return settings.model_copy(update={"auth": "users"})


@pytest.fixture
async def users_app(users_settings: Any) -> AsyncIterator[Any]:
    from threadkeep.web.app import create_app

    application = create_app(users_settings)
    async with application.router.lifespan_context(application):
        yield application


async def add_user(app: Any, name: str, *, role: str = "user", password: str = PASSWORD) -> Any:
    return await app.state.accounts.users.add(name, role=role, password_hash=passwords.hash_password(password))


def anonymous(app: Any, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers)


async def logged_in(app: Any, name: str, password: str = PASSWORD) -> httpx.AsyncClient:
    client = anonymous(app)
    reply = await client.post("/api/auth/login", json={"username": name, "password": password})
    assert reply.status_code == 200, reply.text
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    return client


async def token_client(app: Any, owner: httpx.AsyncClient, scope: str) -> httpx.AsyncClient:
    reply = await owner.post("/api/auth/tokens", json={"name": f"{scope} token", "scope": scope})
    assert reply.status_code == 200, reply.text
    return anonymous(app, Authorization=f"Bearer {reply.json()['token']}")
