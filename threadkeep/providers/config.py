"""Which model providers this instance talks to: `threadkeep.toml` in the data dir plus environment variables.

Owns reading and validating that configuration into `ProviderConfig` (several providers at once, a default
model, price overrides). Sources, later ones winning per provider: `[providers.<id>]` tables in the toml,
OPENAI_API_KEY / OPENAI_BASE_URL, ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, THREADKEEP_PROVIDERS__<ID>__<FIELD>.
API keys are `SecretStr`: they never show in a repr, a log line or a reply. Building clients is not done here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ..chat.pricing import Price, parse_price

CONFIG_FILE = "threadkeep.toml"
Kind = Literal["openai", "anthropic", "demo"]
_ENV_PROVIDER = re.compile(r"^THREADKEEP_PROVIDERS__([A-Za-z0-9_-]+)__([A-Za-z_]+)$")
_ENV_FIELDS = {"KIND": "kind", "BASE_URL": "base_url", "API_KEY": "api_key", "MODELS": "models",
               "LABEL": "label", "TIMEOUT": "timeout", "MAX_RETRIES": "max_retries"}


class ProviderConfigError(ValueError):
    """The provider configuration is invalid; the text says where and why."""


class ModelEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    label: str = ""

    @property
    def display(self) -> str:
        return self.label or self.id


class ProviderSpec(BaseModel):
    """One configured provider. `models` empty means: ask the server (GET /models)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Kind = "openai"
    label: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    models: tuple[ModelEntry, ...] = ()
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=10)

    @property
    def display(self) -> str:
        return self.label or default_label(self.kind, self.base_url)

    @property
    def secret(self) -> str:
        return self.api_key.get_secret_value() if self.api_key is not None else ""


class ProviderConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    providers: tuple[ProviderSpec, ...] = ()
    default_model: str | None = None
    prices: dict[str, Price] = Field(default_factory=dict)
    # List the offline demo model even when real providers are configured (it always resolves as "demo").
    show_demo: bool | None = None


def default_label(kind: str, base_url: str | None) -> str:
    if kind == "anthropic":
        return "Anthropic"
    if kind == "demo":
        return "Demo (offline)"
    if not base_url:
        return "OpenAI"
    host = urlsplit(base_url).netloc or base_url
    if host.endswith("openai.com"):
        return "OpenAI"
    if host.endswith("openrouter.ai"):
        return "OpenRouter"
    return f"OpenAI-compatible ({host})"


def _models(value: Any, where: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"id": item.strip()} for item in value.split(",") if item.strip()]
    if not isinstance(value, list):
        raise ProviderConfigError(f"{where}.models: expected a list of model ids")
    out: list[dict[str, str]] = []
    for item in value:
        if isinstance(item, str) and item.strip():
            out.append({"id": item.strip()})
        elif isinstance(item, Mapping) and item.get("id"):
            out.append({"id": str(item["id"]), "label": str(item.get("label", ""))})
        else:
            raise ProviderConfigError(f"{where}.models: each model is an id or {{id = ..., label = ...}}")
    return out


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProviderConfigError(f"{path}: {exc}") from None


def _from_toml(data: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    tables = data.get("providers", {})
    if not isinstance(tables, Mapping):
        raise ProviderConfigError("[providers] must be a table of [providers.<id>] tables")
    found: dict[str, dict[str, Any]] = {}
    for pid, table in tables.items():
        where = f"providers.{pid}"
        if not isinstance(table, Mapping):
            raise ProviderConfigError(f"[{where}] must be a table")
        fields = dict(table)
        env_name = fields.pop("api_key_env", None)
        if env_name and environ.get(str(env_name)):
            fields["api_key"] = environ[str(env_name)]
        if "models" in fields:
            fields["models"] = _models(fields["models"], where)
        if "kind" not in fields and str(pid).lower() in ("anthropic", "demo"):
            fields["kind"] = str(pid).lower()
        found[str(pid).lower()] = fields
    return found


def _from_env(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL"):
        fields = found.setdefault("openai", {"kind": "openai"})
        if environ.get("OPENAI_API_KEY"):
            fields["api_key"] = environ["OPENAI_API_KEY"]
        if environ.get("OPENAI_BASE_URL"):
            fields["base_url"] = environ["OPENAI_BASE_URL"]
    if environ.get("ANTHROPIC_API_KEY"):
        fields = found.setdefault("anthropic", {"kind": "anthropic"})
        fields["api_key"] = environ["ANTHROPIC_API_KEY"]
        if environ.get("ANTHROPIC_BASE_URL"):
            fields["base_url"] = environ["ANTHROPIC_BASE_URL"]
    for name in sorted(environ):
        match = _ENV_PROVIDER.match(name)
        if not match or match.group(2).upper() not in _ENV_FIELDS:
            continue
        pid, field = match.group(1).lower(), _ENV_FIELDS[match.group(2).upper()]
        value: Any = environ[name]
        if field == "models":
            value = _models(value, f"THREADKEEP_PROVIDERS__{match.group(1)}")
        found.setdefault(pid, {})[field] = value
    return found


def _spec(pid: str, fields: dict[str, Any]) -> ProviderSpec:
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    if "kind" not in fields and pid == "anthropic":
        fields["kind"] = "anthropic"
    if isinstance(fields.get("kind"), str):
        fields["kind"] = fields["kind"].lower()
    try:
        return ProviderSpec(id=pid, **fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "provider"
        # The message names the field, never echoes the value (it may be a key).
        raise ProviderConfigError(f"provider {pid!r}: {where}: {first.get('msg', 'invalid')}") from None
    except TypeError as exc:
        raise ProviderConfigError(f"provider {pid!r}: {exc}") from None


def load_provider_config(data_dir: Path, environ: Mapping[str, str] | None = None) -> ProviderConfig:
    """The provider configuration of the instance whose data dir is `data_dir`."""
    environ = os.environ if environ is None else environ
    data = read_toml(data_dir / CONFIG_FILE)
    merged: dict[str, dict[str, Any]] = {}
    for source in (_from_toml(data, environ), _from_env(environ)):
        for pid, fields in source.items():
            merged.setdefault(pid, {}).update(fields)
    providers = tuple(_spec(pid, fields) for pid, fields in merged.items())
    prices_table = data.get("prices", {})
    if not isinstance(prices_table, Mapping):
        raise ProviderConfigError("[prices] must be a table: model = {input = ..., output = ...}")
    try:
        prices = {str(k): parse_price(str(k), v) for k, v in prices_table.items()}
    except ValueError as exc:
        raise ProviderConfigError(str(exc)) from None
    default_model = environ.get("THREADKEEP_DEFAULT_MODEL") or data.get("default_model") or None
    show_demo = data.get("demo")
    return ProviderConfig(providers=providers, default_model=str(default_model) if default_model else None,
                          prices=prices, show_demo=show_demo if isinstance(show_demo, bool) else None)
