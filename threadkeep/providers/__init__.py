"""The provider registry: the configured model providers of one app, built in `create_app`'s lifespan.

Owns turning `ProviderConfig` into provider objects (OpenAI-compatible, Anthropic, and the offline demo),
the default model, resolving a model id from a session or request to (provider, model name), and the
grouped model list behind `GET /api/models`. It holds no keys itself; the providers' SDK clients do.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from ..chat.tokens import TokenCounter
from ..settings import Settings
from .base import ChatRequest, ModelInfo, ProviderError
from .config import ProviderConfig, ProviderSpec, load_provider_config
from .demo import DEMO_MODEL, DemoProvider

__all__ = ["ChatProvider", "ProviderError", "ProviderRegistry", "build_registry", "registry_for"]

log = logging.getLogger("threadkeep.providers")

# Listed for api.openai.com until its GET /models has answered.
OPENAI_FALLBACK_MODELS = [ModelInfo(m, m) for m in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini",
                                                    "o4-mini")]


class ChatProvider(Protocol):
    id: str
    label: str
    kind: str

    def cached_models(self) -> list[ModelInfo]: ...

    async def models(self) -> list[ModelInfo]: ...

    def stream(self, request: ChatRequest) -> Any: ...

    async def aclose(self) -> None: ...


def _make(spec: ProviderSpec, *, timeout: float, max_retries: int, models_timeout: float,
          counter: TokenCounter) -> ChatProvider:
    models = [ModelInfo(m.id, m.display) for m in spec.models] or None
    common: dict[str, Any] = {
        "id": spec.id, "label": spec.display, "api_key": spec.secret, "base_url": spec.base_url,
        "models": models, "timeout": spec.timeout or timeout,
        "max_retries": spec.max_retries if spec.max_retries is not None else max_retries,
        "models_timeout": models_timeout, "counter": counter,
    }
    # The SDKs are imported only when a provider needs them: together they cost ~1 s and ~50 MB.
    if spec.kind == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(**common)
    from .openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(**common)


class ProviderRegistry:
    """Every provider of the app, in configuration order, plus the demo model (always resolvable)."""

    def __init__(self, providers: list[ChatProvider], *, demo: DemoProvider, default_model: str | None = None,
                 show_demo: bool | None = None) -> None:
        self.providers = providers
        self.demo = demo
        self._default = default_model
        self.show_demo = (not providers) if show_demo is None else show_demo

    def __repr__(self) -> str:
        return f"ProviderRegistry({[p.id for p in self.providers]!r}, default={self.default_model!r})"

    def get(self, provider_id: str) -> ChatProvider | None:
        if provider_id == self.demo.id:
            return self.demo
        return next((p for p in self.providers if p.id == provider_id), None)

    def _known(self, provider: ChatProvider) -> list[ModelInfo]:
        models = provider.cached_models()
        if not models and getattr(provider, "official", False):
            return OPENAI_FALLBACK_MODELS
        return models

    @property
    def default_model(self) -> str:
        """The configured default, else the first model of the first provider that has one, else demo."""
        if self._default:
            return self._default
        for provider in self.providers:
            models = self._known(provider)
            if models:
                return models[0].id
        return DEMO_MODEL

    def resolve(self, model: str | None) -> tuple[ChatProvider, str]:
        """(provider, model name as that provider knows it) for a model id from a session or a request."""
        model = (model or "").strip() or self.default_model
        for provider in self.providers:
            if any(m.id == model for m in self._known(provider)):
                return provider, model
        head, _, rest = model.partition("/")
        if rest:
            owner = self.get(head)
            if owner is not None:
                return owner, rest
        if model == DEMO_MODEL or not self.providers:
            return self.demo, DEMO_MODEL
        # A model nobody lists (e.g. an Ollama model pulled after start-up): ask the default's provider.
        default = self.default_model
        if default != model:
            for provider in self.providers:
                if any(m.id == default for m in self._known(provider)):
                    return provider, model
        return self.providers[0], model

    async def refresh(self, timeout: float | None = None) -> None:
        """Fetch the model lists of the providers that have none configured (at start-up; failures logged)."""
        jobs = [p.models() for p in self.providers]
        if not jobs:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*jobs, return_exceptions=True), timeout)
        except TimeoutError:
            log.warning("model lists not fetched within %ss; they will be fetched on first use", timeout)

    async def groups(self) -> list[dict[str, Any]]:
        """The model picker's groups; an id listed by an earlier group is qualified as `provider_id/model`."""
        lists = await asyncio.gather(*(p.models() for p in self.providers), return_exceptions=True)
        groups: list[dict[str, Any]] = []
        seen: set[str] = set()
        for provider, models in zip(self.providers, lists, strict=True):
            if isinstance(models, BaseException):
                log.warning("listing the models of %s failed: %s", provider.id, type(models).__name__)
                models = []
            if not models:
                models = self._known(provider)
            entries = []
            for m in models:
                public = m.id if m.id not in seen and m.id != DEMO_MODEL else f"{provider.id}/{m.id}"
                seen.add(m.id)
                entries.append({"id": public, "label": m.label or m.id})
            groups.append({"provider": provider.label, "provider_id": provider.id, "models": entries})
        if self.show_demo:
            demo = [{"id": m.id, "label": m.label} for m in self.demo.cached_models()]
            groups.append({"provider": self.demo.label, "provider_id": self.demo.id, "models": demo})
        return groups

    async def describe(self) -> dict[str, Any]:
        """The reply of GET /api/models: the default model and the groups."""
        groups = await self.groups()
        return {"default_model": self.default_model, "groups": groups}

    async def aclose(self) -> None:
        for provider in self.providers:
            try:
                await provider.aclose()
            except Exception:  # closing must not stop the others from closing
                log.debug("closing provider %s failed", provider.id, exc_info=True)


def build_registry(config: ProviderConfig, *, timeout: float = 120.0, max_retries: int = 2,
                   models_timeout: float = 3.0, demo_token_delay: float = 0.03,
                   counter: TokenCounter | None = None) -> ProviderRegistry:
    counter = counter or TokenCounter()
    providers = [
        _make(spec, timeout=timeout, max_retries=max_retries, models_timeout=models_timeout, counter=counter)
        for spec in config.providers if spec.kind != "demo"
    ]
    demo = DemoProvider(token_delay=demo_token_delay, counter=counter)
    show_demo = config.show_demo
    if show_demo is None and any(spec.kind == "demo" for spec in config.providers):
        show_demo = True
    return ProviderRegistry(providers, demo=demo, default_model=config.default_model, show_demo=show_demo)


def registry_for(settings: Settings, config: ProviderConfig | None = None,
                 counter: TokenCounter | None = None) -> ProviderRegistry:
    """The registry of an app: its data dir's threadkeep.toml, the environment, and the settings' limits."""
    config = config if config is not None else load_provider_config(settings.data_dir)
    return build_registry(config, timeout=settings.provider_timeout,
                          max_retries=settings.provider_max_retries,
                          models_timeout=settings.models_fetch_timeout,
                          demo_token_delay=settings.demo_token_delay, counter=counter)
