"""The embedded default analyser: an automatic extract of the article, not an AI analysis.

Deterministic and offline. Sentences are ranked by a TextRank-style graph (TF-IDF
cosine similarity, power iteration); the most central ones make the lead, and the
article's own sentences fill headed sections (what happened, the figures, the
reactions, what it means). The category comes from a keyword lexicon shipped in
`data/categories.toml`, the headings and cue words from `data/languages.toml`.
"""

from bot.analyzers.offline.analyzer import GENERATOR, OfflineAnalyzer
from bot.analyzers.offline.categories import Lexicon, SectionMap, categorize
from bot.analyzers.offline.language import detect_language, language_data
from bot.analyzers.offline.names import clean_headline, entities
from bot.analyzers.offline.sentences import paragraphs_of, split_sentences, textrank, tokens

__all__ = [
    "GENERATOR",
    "Lexicon",
    "OfflineAnalyzer",
    "SectionMap",
    "categorize",
    "clean_headline",
    "detect_language",
    "entities",
    "language_data",
    "paragraphs_of",
    "split_sentences",
    "textrank",
    "tokens",
]
