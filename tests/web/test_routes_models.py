"""GET /api/models: grouped models of every configured provider, the default model, and never a key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeAnthropic, FakeOpenAI
from threadkeep.providers.demo import DemoProvider
from threadkeep.settings import Settings
from threadkeep.web.app import create_app

KEYS = {"OPENAI_API_KEY": "sk-openai-SECRET-1", "ANTHROPIC_API_KEY": "sk-ant-SECRET-2",
        "THREADKEEP_PROVIDERS__LOCAL__API_KEY": "sk-local-SECRET-3"}
AppClient = Callable[[], Any]


@pytest.fixture
def models_client(tmp_path: Path) -> AppClient:
    """A started app on SQLite (the route does not touch the database) and a client for it."""

    @asynccontextmanager
    async def started() -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
        settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                            workspace_roots=[tmp_path], access_log=False, demo_token_delay=0,
                            models_fetch_timeout=2.0)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8787") as client:
                yield app, client

    return started


async def test_a_fresh_instance_offers_the_demo_model(models_client: AppClient) -> None:
    async with models_client() as (app, client):
        reply = await client.get("/api/models")
        assert reply.status_code == 200
        assert reply.json() == {"default_model": "demo", "groups": [
            {"provider": "Demo (offline)", "provider_id": "demo",
             "models": [{"id": "demo", "label": "Demo (offline, no key needed)"}]}]}
        assert isinstance(app.state.providers.resolve(None)[0], DemoProvider)
        assert app.state.pricing.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
        assert app.state.tokens.count_text("hello world", "gpt-4o") == 2


async def test_several_providers_from_env_are_grouped_and_no_key_is_returned(
    models_client: AppClient, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic
) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    monkeypatch.setenv("THREADKEEP_PROVIDERS__LOCAL__BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("THREADKEEP_PROVIDERS__LOCAL__LABEL", "My vLLM")
    monkeypatch.setenv("THREADKEEP_PROVIDERS__LOCAL__MODELS", "qwen3-32b,fake-model")
    async with models_client() as (_app, client):
        reply = await client.get("/api/models")
    assert reply.status_code == 200
    body = reply.json()
    assert body["default_model"] == "fake-model"
    host = fake_openai.base_url.split("//")[1].rsplit("/", 1)[0]
    assert body["groups"] == [
        {"provider": f"OpenAI-compatible ({host})", "provider_id": "openai",
         "models": [{"id": "fake-model", "label": "fake-model"},
                    {"id": "fake-model-large", "label": "fake-model-large"}]},
        {"provider": "Anthropic", "provider_id": "anthropic",
         "models": [{"id": "claude-fake-1", "label": "Claude Fake 1"},
                    {"id": "claude-fake-2", "label": "Claude Fake 2"}]},
        {"provider": "My vLLM", "provider_id": "local",
         "models": [{"id": "qwen3-32b", "label": "qwen3-32b"}, {"id": "local/fake-model", "label": "fake-model"}]},
    ]
    for key in KEYS.values():
        assert key not in reply.text
    # The keys did reach the servers: they are used, just never shown.
    sent = {r.headers.get("authorization") for r in fake_openai.requests + fake_anthropic.requests}
    assert "Bearer sk-openai-SECRET-1" in sent


async def test_default_model_from_env_is_reported(models_client: AppClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADKEEP_PROVIDERS__LOCAL__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("THREADKEEP_PROVIDERS__LOCAL__MODELS", "a,b")
    monkeypatch.setenv("THREADKEEP_DEFAULT_MODEL", "b")
    async with models_client() as (_app, client):
        body = (await client.get("/api/models")).json()
    assert body["default_model"] == "b"
    assert [g["provider_id"] for g in body["groups"]] == ["local"]


async def test_a_broken_threadkeep_toml_stops_start_up_with_a_clear_error(
    models_client: AppClient, tmp_path: Path
) -> None:
    from threadkeep.providers.config import ProviderConfigError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "threadkeep.toml").write_text('[providers.x]\nkind = "nope"\n')
    with pytest.raises(ProviderConfigError, match="provider 'x': kind"):
        async with models_client():
            pass
