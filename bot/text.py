"""Word counts and reading time, one definition for the whole project."""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"\w+(?:[''-]\w+)*", re.UNICODE)
# Han, Hiragana, Katakana and Hangul: read by characters, not by spaced words.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = 500


def word_count(text: str) -> int:
    """Words in `text`; each CJK character counts as one, as readers of those scripts do."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk


def reading_minutes(text: str) -> int:
    """Minutes to read `text` at 230 words a minute, or 500 characters for CJK; at least 1."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    minutes = words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE
    return max(1, math.ceil(minutes - 0.15))  # 2.1 minutes reads as 2, not 3
