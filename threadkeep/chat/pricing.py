"""What a model call cost: a per-model price table (USD per million input / output tokens) -> `cost()`.

Owns the shipped default prices of common OpenAI and Anthropic models, prefix matching so dated variants
(`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`) find their family, and the overrides from
threadkeep.toml's `[prices]` table. Unknown and local models cost 0. It does not count tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1,000,000 tokens."""

    input: float
    output: float


# List prices as published by the vendors (standard tier, no caching discounts).
DEFAULT_PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": Price(1.25, 10.0),
    "gpt-5-mini": Price(0.25, 2.0),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.0, 8.0),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.5": Price(75.0, 150.0),
    "gpt-4o": Price(2.50, 10.0),
    "gpt-4o-mini": Price(0.15, 0.60),
    "chatgpt-4o": Price(5.0, 15.0),
    "gpt-4-turbo": Price(10.0, 30.0),
    "gpt-4": Price(30.0, 60.0),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "o1": Price(15.0, 60.0),
    "o1-mini": Price(1.10, 4.40),
    "o1-pro": Price(150.0, 600.0),
    "o3": Price(2.0, 8.0),
    "o3-mini": Price(1.10, 4.40),
    "o3-pro": Price(20.0, 80.0),
    "o4-mini": Price(1.10, 4.40),
    # Anthropic
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-haiku-4": Price(1.0, 5.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-3-5-sonnet": Price(3.0, 15.0),
    "claude-3-5-haiku": Price(0.80, 4.0),
    "claude-3-opus": Price(15.0, 75.0),
    "claude-3-sonnet": Price(3.0, 15.0),
    "claude-3-haiku": Price(0.25, 1.25),
}

FREE = Price(0.0, 0.0)


def _normalise(name: str) -> str:
    name = name.strip().lower()
    # Claude names appear as claude-sonnet-4-5 (Anthropic) and claude-sonnet-4.5 (OpenRouter): one spelling.
    return name.replace(".", "-") if name.startswith("claude") else name


def _matches(name: str, prefix: str) -> bool:
    """`prefix` names `name`'s family: equal, or followed by a separator (gpt-4 is not a prefix of gpt-4o)."""
    if not name.startswith(prefix):
        return False
    rest = name[len(prefix):]
    return not rest or not rest[0].isalnum()


def parse_price(key: str, value: Any) -> Price:
    """A price from config: `{input = 2.5, output = 10}` or `[2.5, 10]`, USD per million tokens."""
    if isinstance(value, Mapping):
        pair = (value.get("input", 0), value.get("output", 0))
    elif isinstance(value, list | tuple) and len(value) == 2:
        pair = (value[0], value[1])
    else:
        raise ValueError(f"prices.{key}: expected {{input = ..., output = ...}} or [input, output]")
    try:
        price = Price(float(pair[0]), float(pair[1]))
    except (TypeError, ValueError):
        raise ValueError(f"prices.{key}: prices must be numbers (USD per million tokens)") from None
    if price.input < 0 or price.output < 0:
        raise ValueError(f"prices.{key}: prices cannot be negative")
    return price


class Pricing:
    """The price table: shipped defaults, overridden (and extended) by configured prices."""

    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        table = {_normalise(k): v for k, v in DEFAULT_PRICES.items()}
        table.update({_normalise(k): v for k, v in (overrides or {}).items()})
        # Longest prefix first, so gpt-4o-mini wins over gpt-4o and claude-opus-4-5 over claude-opus-4.
        self._table = sorted(table.items(), key=lambda item: len(item[0]), reverse=True)

    @classmethod
    def from_config(cls, prices: Mapping[str, Any]) -> Pricing:
        return cls({key: parse_price(key, value) for key, value in prices.items()})

    def price(self, model: str) -> Price:
        """The price of `model`: the full id first (`openrouter/x/y`), then its last segment (`y`)."""
        name = _normalise(model or "")
        candidates = [name]
        if "/" in name:
            candidates.append(_normalise(name.rsplit("/", 1)[-1]))
        for candidate in candidates:
            for prefix, price in self._table:
                if _matches(candidate, prefix):
                    return price
        return FREE

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """USD for one call (0.0 for unknown and local models)."""
        price = self.price(model)
        total = (max(input_tokens, 0) * price.input + max(output_tokens, 0) * price.output) / 1_000_000
        return round(total, 8)
