"""Provider configuration from threadkeep.toml and the environment: sources, precedence, secrecy, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadkeep.chat.pricing import Price
from threadkeep.providers.config import ProviderConfigError, load_provider_config


def write_toml(data_dir: Path, text: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "threadkeep.toml").write_text(text)


def test_nothing_configured_means_no_providers(tmp_path: Path) -> None:
    config = load_provider_config(tmp_path, {})
    assert config.providers == () and config.default_model is None and config.prices == {}


def test_openai_env_vars_configure_an_openai_compatible_provider(tmp_path: Path) -> None:
    config = load_provider_config(tmp_path, {"OPENAI_API_KEY": "sk-one", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"})
    (spec,) = config.providers
    assert (spec.id, spec.kind, spec.secret) == ("openai", "openai", "sk-one")
    assert spec.base_url == "http://127.0.0.1:11434/v1"
    assert spec.display == "OpenAI-compatible (127.0.0.1:11434)"
    assert spec.models == ()  # asked from the server later


def test_a_base_url_alone_is_enough_for_a_local_server(tmp_path: Path) -> None:
    (spec,) = load_provider_config(tmp_path, {"OPENAI_BASE_URL": "http://127.0.0.1:1234/v1"}).providers
    assert spec.api_key is None and spec.secret == ""


def test_several_providers_at_once_from_env(tmp_path: Path) -> None:
    environ = {
        "OPENAI_API_KEY": "sk-openai",
        "ANTHROPIC_API_KEY": "sk-ant",
        "THREADKEEP_PROVIDERS__OPENROUTER__BASE_URL": "https://openrouter.ai/api/v1",
        "THREADKEEP_PROVIDERS__OPENROUTER__API_KEY": "sk-or",
        "THREADKEEP_PROVIDERS__OPENROUTER__MODELS": "anthropic/claude-sonnet-4.5, openai/gpt-4o ,",
        "THREADKEEP_PROVIDERS__LOCAL__KIND": "OPENAI",
        "THREADKEEP_PROVIDERS__LOCAL__BASE_URL": "http://127.0.0.1:8000/v1",
        "THREADKEEP_DEFAULT_MODEL": "openai/gpt-4o",
    }
    config = load_provider_config(tmp_path, environ)
    by_id = {p.id: p for p in config.providers}
    assert list(by_id) == ["openai", "anthropic", "local", "openrouter"]
    assert by_id["anthropic"].kind == "anthropic" and by_id["anthropic"].display == "Anthropic"
    assert [m.id for m in by_id["openrouter"].models] == ["anthropic/claude-sonnet-4.5", "openai/gpt-4o"]
    assert by_id["openrouter"].display == "OpenRouter"
    assert config.default_model == "openai/gpt-4o"


def test_toml_providers_models_prices_and_default(tmp_path: Path) -> None:
    write_toml(tmp_path, """
default_model = "llama3.2"
demo = true

[providers.ollama]
base_url = "http://127.0.0.1:11434/v1"
label = "Ollama on this machine"
models = ["llama3.2", { id = "qwen2.5-coder", label = "Qwen coder" }]
timeout = 300

[providers.work]
kind = "openai"
api_key_env = "WORK_OPENAI_KEY"
max_retries = 5

[prices]
"llama3.2" = { input = 0.1, output = 0.2 }
"gpt-4o" = [2.0, 8.0]
""")
    config = load_provider_config(tmp_path, {"WORK_OPENAI_KEY": "sk-work"})
    ollama, work = config.providers
    assert ollama.display == "Ollama on this machine" and ollama.timeout == 300
    assert [(m.id, m.display) for m in ollama.models] == [("llama3.2", "llama3.2"), ("qwen2.5-coder", "Qwen coder")]
    assert work.secret == "sk-work" and work.max_retries == 5
    assert config.default_model == "llama3.2" and config.show_demo is True
    assert config.prices == {"llama3.2": Price(0.1, 0.2), "gpt-4o": Price(2.0, 8.0)}


def test_env_wins_over_toml_for_the_same_provider(tmp_path: Path) -> None:
    write_toml(tmp_path, '[providers.openai]\nbase_url = "http://127.0.0.1:1/v1"\nmodels = ["a"]\n')
    config = load_provider_config(tmp_path, {"OPENAI_BASE_URL": "http://127.0.0.1:2/v1",
                                             "THREADKEEP_PROVIDERS__OPENAI__MODELS": "b,c"})
    (spec,) = config.providers
    assert spec.base_url == "http://127.0.0.1:2/v1" and [m.id for m in spec.models] == ["b", "c"]


def test_keys_never_show_in_repr_str_or_json(tmp_path: Path) -> None:
    write_toml(tmp_path, '[providers.a]\napi_key = "sk-in-toml-secret"\n')
    config = load_provider_config(tmp_path, {"ANTHROPIC_API_KEY": "sk-ant-env-secret"})
    for rendering in (repr(config), str(config), config.model_dump_json(), repr(config.providers[0])):
        assert "sk-in-toml-secret" not in rendering and "sk-ant-env-secret" not in rendering
    assert {p.secret for p in config.providers} == {"sk-in-toml-secret", "sk-ant-env-secret"}


@pytest.mark.parametrize(
    ("toml", "environ", "fragment"),
    [
        ('[providers.x]\nkind = "gemini"\napi_key = "sk-do-not-echo"\n', {}, "provider 'x': kind"),
        ("[providers.x]\nmodels = 3\n", {}, "providers.x.models"),
        ('[providers.x]\ncolour = "blue"\n', {}, "colour"),
        ("default_model = [\n", {}, "threadkeep.toml"),
        ('[prices]\ngpt-4o = "cheap"\n', {}, "prices.gpt-4o"),
        ('[prices]\ngpt-4o = { input = -1, output = 1 }\n', {}, "negative"),
        ("", {"THREADKEEP_PROVIDERS__X__TIMEOUT": "soon"}, "provider 'x': timeout"),
    ],
)
def test_invalid_configuration_is_a_clear_error(tmp_path: Path, toml: str, environ: dict[str, str],
                                                fragment: str) -> None:
    write_toml(tmp_path, toml)
    with pytest.raises(ProviderConfigError) as caught:
        load_provider_config(tmp_path, environ)
    assert fragment in str(caught.value)
    assert "sk-do-not-echo" not in str(caught.value)
