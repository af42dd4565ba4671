"""Where an analysis lives on the web site: `/a/{id}-{slug}`, shared by core and site."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 60


def slugify(text: str) -> str:
    """ASCII words joined by dashes, for readable and stable URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def page_path(analysis_id: int, headline: str) -> str:
    """The canonical path of an analysis's page; the slug is omitted when empty."""
    slug = slugify(headline)
    return f"/a/{analysis_id}-{slug}" if slug else f"/a/{analysis_id}"


def page_url(base_url: str, analysis_id: int, headline: str) -> str:
    """The absolute page URL under `base_url` (no trailing slash expected)."""
    return base_url.rstrip("/") + page_path(analysis_id, headline)
