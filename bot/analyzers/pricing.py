"""What model tokens cost, from the configurable price table in `[anthropic]`.

Prices are USD per million tokens and change over time, so they live in the config,
not here. Cache writes and reads are priced separately: that is where prompt caching
saves money. Batch requests cost half, so callers pass `batch=True` for those.
"""

from __future__ import annotations

from bot.config import AnthropicConfig
from bot.models import Usage

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
    prices: AnthropicConfig,
    *,
    batch: bool = False,
) -> float:
    """Estimated USD for these token counts at the configured prices.

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


def usage_cost(usage: Usage, prices: AnthropicConfig, *, batch: bool = False) -> float:
    """`estimate_cost` for one Usage record."""
    return estimate_cost(
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation_tokens,
        usage.cache_read_tokens,
        prices,
        batch=batch,
    )
