"""Related analyses: full-text ranking over the store, optionally fused with embeddings."""

from bot.related.index import RelatedHit, RelatedIndex

__all__ = ["RelatedHit", "RelatedIndex"]
