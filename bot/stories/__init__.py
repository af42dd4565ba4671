"""Stories: analyses of the same event from different outlets, grouped (no network model)."""

from bot.stories.index import StoryIndex, Weights
from bot.stories.quality import Quality, pairwise
from bot.stories.signature import Signature, signature

__all__ = ["Quality", "Signature", "StoryIndex", "Weights", "pairwise", "signature"]
