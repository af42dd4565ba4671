"""What model tokens cost, per model.

Prices are USD per million tokens. The main model (`[anthropic] model`) is priced at the
configured `[anthropic] price_*` keys, so an operator can follow price changes without a
release; other models (the cheaper `translation_model`) at the list prices below, and a
model missing from the table at the configured keys. Cache writes and reads are priced
separately: that is where prompt caching saves money. Batch requests cost half, so
callers pass `batch=True` for those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.config import AnthropicConfig
from bot.models import Usage


class Prices(Protocol):
    """Four rates in USD per million tokens (AnthropicConfig is one)."""

    @property
    def price_input(self) -> float:
        """Uncached input tokens."""
        ...

    @property
    def price_output(self) -> float:
        """Output tokens."""
        ...

    @property
    def price_cache_write(self) -> float:
        """Prompt-cache writes."""
        ...

    @property
    def price_cache_read(self) -> float:
        """Prompt-cache reads."""
        ...


@dataclass(frozen=True)
class ModelPrices:
    """One model's list prices, USD per million tokens."""

    price_input: float
    price_output: float
    price_cache_write: float
    price_cache_read: float


# List prices per model family (prefix; dated snapshots match), longest prefix first.
MODEL_PRICES: dict[str, ModelPrices] = {
    "claude-opus-4-6": ModelPrices(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-5": ModelPrices(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-1": ModelPrices(15.0, 75.0, 18.75, 1.50),
    "claude-opus-4": ModelPrices(15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4": ModelPrices(3.0, 15.0, 3.75, 0.30),
    "claude-3-7-sonnet": ModelPrices(3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": ModelPrices(1.0, 5.0, 1.25, 0.10),
    "claude-3-5-haiku": ModelPrices(0.80, 4.0, 1.0, 0.08),
    "claude-3-haiku": ModelPrices(0.25, 1.25, 0.30, 0.03),
}


def prices_for(model: str, config: AnthropicConfig) -> Prices:
    """The rates `model`'s tokens cost: the configured keys for the main model (and for
    a model the table does not know), the shipped list prices otherwise."""
    if model == config.model:
        return config
    for family, prices in MODEL_PRICES.items():
        if model.startswith(family):
            return prices
    return config


BATCH_DISCOUNT = 0.5

# Smallest prefix the API will cache, per model family (tokens). Shorter prefixes are
# silently not cached, so the fixed prompt must be at least this long.
MIN_CACHEABLE_TOKENS = {
    "claude-opus-4-5": 4096,
    "claude-opus-4-6": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
}
DEFAULT_MIN_CACHEABLE_TOKENS = 1024  # Sonnet 4.5, Sonnet 4, Opus 4 and 4.1, 3.7 Sonnet


def min_cacheable_tokens(model: str) -> int:
    """The minimum cacheable prompt length for `model` (dated snapshots included)."""
    for family, minimum in MIN_CACHEABLE_TOKENS.items():
        if model.startswith(family):
            return minimum
    return DEFAULT_MIN_CACHEABLE_TOKENS


def estimate_cost(
    input_tokens: int,
    output_tokens: int,
    cache_creation_tokens: int,
    cache_read_tokens: int,
    prices: Prices,
    *,
    batch: bool = False,
) -> float:
    """Estimated USD for these token counts at these prices.

    `input_tokens` are the uncached input tokens, as the API reports them (cached
    tokens are counted apart, in the two cache fields).
    """
    total = (
        input_tokens * prices.price_input
        + output_tokens * prices.price_output
        + cache_creation_tokens * prices.price_cache_write
        + cache_read_tokens * prices.price_cache_read
    ) / 1_000_000
    return total * (BATCH_DISCOUNT if batch else 1.0)


def usage_cost(usage: Usage, prices: Prices, *, batch: bool = False) -> float:
    """`estimate_cost` for one Usage record."""
    return estimate_cost(
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation_tokens,
        usage.cache_read_tokens,
        prices,
        batch=batch,
    )


def model_cost(usage: Usage, model: str, config: AnthropicConfig) -> float:
    """USD for one model's usage, at that model's prices."""
    return usage_cost(usage, prices_for(model, config))


def total_cost(by_model: Mapping[str, Usage], config: AnthropicConfig) -> float:
    """USD for usage summed per model (as `stats` has it), each at its own prices."""
    return sum(model_cost(usage, model, config) for model, usage in by_model.items())
