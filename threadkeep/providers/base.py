"""The provider contract: what a chat turn asks of a model backend and the typed events it gets back.

Owns `ChatRequest`, the `ProviderEvent` union (text, reasoning, tool call, usage, finish), `ProviderError`
with its kinds and human hints, and the mapping of HTTP statuses / error codes to those kinds shared by the
SDK-backed providers. It knows no SDK and no HTTP client; implementations live next to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

ErrorKind = Literal["auth", "rate_limit", "quota", "model_not_found", "no_response", "error"]
ERROR_KINDS: tuple[ErrorKind, ...] = ("auth", "rate_limit", "quota", "model_not_found", "no_response",
                                      "error")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One model call: messages in OpenAI chat shape (incl. assistant `tool_calls` and `tool` messages),
    tools as OpenAI function specs, options such as temperature, max_tokens, reasoning_effort."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """A complete tool call (its argument deltas already assembled)."""

    id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """Token usage of the call; `reported=False` when the provider sent none and it was counted locally."""

    input_tokens: int
    output_tokens: int
    reported: bool = True


@dataclass(frozen=True, slots=True)
class FinishEvent:
    """The last event of a call: `stop`, `tool_calls`, `length`, `content_filter`..."""

    reason: str


ProviderEvent = TextDelta | ReasoningDelta | ToolCallEvent | UsageEvent | FinishEvent


class ProviderError(Exception):
    """A model call failed; `kind` says how (for the UI's `apperror` type), `hint` what the user can do."""

    def __init__(self, kind: ErrorKind, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.hint = hint or default_hint(kind, "the provider")

    def __repr__(self) -> str:
        return f"ProviderError({self.kind!r}, {self.message!r})"


@runtime_checkable
class Provider(Protocol):
    id: str
    label: str

    async def models(self) -> list[ModelInfo]: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ProviderEvent]: ...

    async def aclose(self) -> None: ...


# -- mapping failures to kinds ----------------------------------------------------------------------

_QUOTA_WORDS = ("insufficient_quota", "quota", "credit balance", "billing", "payment required")
_AUTH_CODES = frozenset({"authentication_error", "permission_error", "invalid_api_key", "unauthorized"})
_RATE_CODES = frozenset({"rate_limit_error", "rate_limit_exceeded", "rate_limited"})
_NOT_FOUND_CODES = frozenset({"model_not_found", "not_found_error"})


def classify(status: int | None, code: str | None, message: str) -> ErrorKind:
    """The kind of an HTTP error from its status, the body's error code/type and message."""
    code = (code or "").lower()
    text = f"{code} {message}".lower()
    if status == 402 or any(word in text for word in _QUOTA_WORDS):
        return "quota"
    if status in (401, 403) or code in _AUTH_CODES:
        return "auth"
    if status == 429 or code in _RATE_CODES:
        return "rate_limit"
    if status == 404 or code in _NOT_FOUND_CODES:
        return "model_not_found"
    if status in (408, 504, 524):
        return "no_response"
    return "error"


def default_hint(kind: ErrorKind, label: str, *, model: str = "", where: str = "") -> str:
    """What the user can do about an error of this kind, in one sentence."""
    if kind == "auth":
        return (f"{label} refused the API key: check the key in the environment or in threadkeep.toml "
                "in the data dir, then restart threadkeep.")
    if kind == "rate_limit":
        return f"{label} is rate-limiting requests: wait a moment and send the message again."
    if kind == "quota":
        return f"The {label} account is out of credit or quota: check its billing page."
    if kind == "model_not_found":
        name = f"'{model}'" if model else "this model"
        return (f"{label} does not know {name}: pick another model, or fix the models list of this "
                "provider in threadkeep.toml.")
    if kind == "no_response":
        place = f" at {where}" if where else ""
        return (f"{label}{place} did not answer in time or the connection dropped: check that it is "
                "running and reachable, then try again.")
    return f"{label} returned an error: see the message for details, then try again."


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every secret (API key) replaced, so a server that echoes a key cannot leak it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def error_message(body: object, fallback: str) -> tuple[str, str | None]:
    """(message, code) of an OpenAI- or Anthropic-style error body (`{"error": {...}}` or the inner dict)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = inner.get("message")
            code = inner.get("code") or inner.get("type")
            return (str(message) if message else fallback), (str(code) if code else None)
        if isinstance(inner, str):
            return inner, None
    if isinstance(body, str) and body.strip():
        return body.strip()[:500], None
    return fallback, None
