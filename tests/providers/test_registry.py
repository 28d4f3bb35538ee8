"""The provider registry: default model, resolving model ids to providers, grouped model lists."""

from __future__ import annotations

from pathlib import Path

from tests.fakes import FakeAnthropic, FakeOpenAI
from threadkeep.providers import ProviderRegistry, build_registry
from threadkeep.providers.anthropic import AnthropicProvider
from threadkeep.providers.config import ProviderConfig, load_provider_config
from threadkeep.providers.demo import DemoProvider
from threadkeep.providers.openai_compat import OpenAICompatProvider


def registry(tmp_path: Path, environ: dict[str, str], toml: str = "") -> ProviderRegistry:
    if toml:
        (tmp_path / "threadkeep.toml").write_text(toml)
    return build_registry(load_provider_config(tmp_path, environ), demo_token_delay=0, models_timeout=1.0)


async def test_with_nothing_configured_everything_goes_to_the_demo_model(tmp_path: Path) -> None:
    reg = registry(tmp_path, {})
    assert reg.default_model == "demo"
    for model in (None, "", "demo", "gpt-4o"):
        provider, name = reg.resolve(model)
        assert isinstance(provider, DemoProvider) and name == "demo"
    assert await reg.describe() == {"default_model": "demo", "groups": [
        {"provider": "Demo (offline)", "provider_id": "demo",
         "models": [{"id": "demo", "label": "Demo (offline, no key needed)"}]}]}


async def test_listed_models_resolve_to_their_provider(tmp_path: Path, fake_openai: FakeOpenAI,
                                                       fake_anthropic: FakeAnthropic) -> None:
    reg = registry(tmp_path, {"OPENAI_BASE_URL": fake_openai.base_url, "ANTHROPIC_API_KEY": "k",
                              "ANTHROPIC_BASE_URL": fake_anthropic.base_url})
    await reg.refresh(5)
    assert reg.default_model == "fake-model"
    provider, name = reg.resolve("claude-fake-2")
    assert isinstance(provider, AnthropicProvider) and name == "claude-fake-2"
    provider, name = reg.resolve(None)
    assert isinstance(provider, OpenAICompatProvider) and name == "fake-model"
    # provider_id/model picks a provider explicitly, even for a model it does not list.
    provider, name = reg.resolve("anthropic/claude-new")
    assert provider.id == "anthropic" and name == "claude-new"
    # An unlisted bare name goes to the default model's provider (e.g. an Ollama model pulled later).
    provider, name = reg.resolve("llama-pulled-later")
    assert provider.id == "openai" and name == "llama-pulled-later"
    # The demo stays reachable by name but is not listed once real providers exist.
    assert isinstance(reg.resolve("demo")[0], DemoProvider)
    assert [g["provider_id"] for g in await reg.groups()] == ["openai", "anthropic"]
    await reg.aclose()


async def test_a_model_listed_twice_is_qualified_in_the_later_group(tmp_path: Path) -> None:
    reg = registry(tmp_path, {
        "THREADKEEP_PROVIDERS__A__BASE_URL": "http://127.0.0.1:9/v1", "THREADKEEP_PROVIDERS__A__MODELS": "m1,m2",
        "THREADKEEP_PROVIDERS__B__BASE_URL": "http://127.0.0.1:9/v1", "THREADKEEP_PROVIDERS__B__MODELS": "m2,m3",
    })
    groups = await reg.groups()
    assert [[m["id"] for m in g["models"]] for g in groups] == [["m1", "m2"], ["b/m2", "m3"]]
    assert reg.resolve("m2")[0].id == "a" and reg.resolve("b/m2") == (reg.get("b"), "m2")
    await reg.aclose()


async def test_configured_default_model_and_demo_listing_from_toml(tmp_path: Path) -> None:
    reg = registry(tmp_path, {"THREADKEEP_PROVIDERS__LOCAL__BASE_URL": "http://127.0.0.1:9/v1",
                              "THREADKEEP_PROVIDERS__LOCAL__MODELS": "small,big"},
                   toml='default_model = "big"\ndemo = true\n')
    assert reg.default_model == "big"
    assert [g["provider_id"] for g in await reg.groups()] == ["local", "demo"]
    await reg.aclose()


async def test_an_unreachable_server_without_a_model_list_leaves_the_demo_as_default(tmp_path: Path) -> None:
    reg = registry(tmp_path, {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    await reg.refresh(2)
    assert reg.default_model == "demo"
    assert (await reg.groups())[0]["models"] == []
    await reg.aclose()


def test_provider_settings_reach_the_sdk_clients(tmp_path: Path) -> None:
    config = load_provider_config(tmp_path, {"THREADKEEP_PROVIDERS__SLOW__BASE_URL": "http://127.0.0.1:9/v1",
                                             "THREADKEEP_PROVIDERS__SLOW__TIMEOUT": "300",
                                             "THREADKEEP_PROVIDERS__SLOW__MAX_RETRIES": "0",
                                             "THREADKEEP_PROVIDERS__FAST__BASE_URL": "http://127.0.0.1:9/v1"})
    reg = build_registry(config, timeout=42.0, max_retries=4)
    slow, fast = reg.get("slow"), reg.get("fast")
    assert isinstance(slow, OpenAICompatProvider) and isinstance(fast, OpenAICompatProvider)
    assert (slow._client.max_retries, slow._client.timeout.read) == (0, 300.0)
    assert (fast._client.max_retries, fast._client.timeout.read) == (4, 42.0)
    assert "sk" not in repr(reg)


def test_an_empty_config_builds_an_empty_registry() -> None:
    reg = build_registry(ProviderConfig())
    assert reg.providers == [] and reg.show_demo is True
