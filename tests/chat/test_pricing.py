"""Model prices: shipped defaults, prefix matching of dated variants, overrides, and the cost of a call."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadkeep.chat.pricing import FREE, Price, Pricing, parse_price
from threadkeep.providers.config import load_provider_config


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("gpt-4o", Price(2.50, 10.0)),
        ("gpt-4o-2024-08-06", Price(2.50, 10.0)),
        ("gpt-4o-mini-2024-07-18", Price(0.15, 0.60)),
        ("gpt-4.1-mini", Price(0.40, 1.60)),
        ("gpt-4.1-2025-04-14", Price(2.0, 8.0)),
        ("o3-mini", Price(1.10, 4.40)),
        ("o4-mini-2025-04-16", Price(1.10, 4.40)),
        ("o3", Price(2.0, 8.0)),
        ("claude-sonnet-4-5-20250929", Price(3.0, 15.0)),
        ("claude-opus-4-5", Price(5.0, 25.0)),
        ("claude-opus-4-1-20250805", Price(15.0, 75.0)),
        ("claude-haiku-4-5", Price(1.0, 5.0)),
        ("claude-3-5-haiku-latest", Price(0.80, 4.0)),
        ("openai/gpt-4o-mini", Price(0.15, 0.60)),  # OpenRouter ids carry the vendor
        ("anthropic/claude-sonnet-4.5", Price(3.0, 15.0)),  # and spell versions with dots
    ],
)
def test_shipped_prices_match_dated_and_prefixed_variants(model: str, price: Price) -> None:
    assert Pricing().price(model) == price


@pytest.mark.parametrize("model", ["llama3.2", "qwen2.5-coder:7b", "gpt-4oo", "o3x", "", "demo"])
def test_unknown_and_local_models_cost_nothing(model: str) -> None:
    assert Pricing().price(model) == FREE
    assert Pricing().cost(model, 1_000_000, 1_000_000) == 0.0


def test_cost_is_per_million_tokens_for_input_and_output() -> None:
    assert Pricing().cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    assert Pricing().cost("gpt-4o-mini", 2000, 1000) == pytest.approx((2000 * 0.15 + 1000 * 0.60) / 1e6)
    assert Pricing().cost("gpt-4o", -5, 0) == 0.0


def test_configured_prices_override_and_extend_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "threadkeep.toml").write_text(
        '[prices]\n"gpt-4o" = { input = 1, output = 2 }\n"llama3.2" = [0.5, 0.5]\n'
        '"openrouter/special" = { input = 9, output = 9 }\n'
    )
    pricing = Pricing(load_provider_config(tmp_path, {}).prices)
    assert pricing.price("gpt-4o-2024-11-20") == Price(1.0, 2.0)
    assert pricing.price("gpt-4o-mini") == Price(0.15, 0.60)  # a longer default prefix still wins
    assert pricing.cost("llama3.2:latest", 1_000_000, 1_000_000) == pytest.approx(1.0)
    assert pricing.price("openrouter/special") == Price(9.0, 9.0)


@pytest.mark.parametrize("value", ["cheap", [1], {"input": "x"}, {"input": -1, "output": 1}])
def test_invalid_prices_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"prices\.m"):
        parse_price("m", value)
