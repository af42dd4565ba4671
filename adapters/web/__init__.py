"""The web site: a permalink page per analysis, categories, search, Atom feeds, Thoughts.

`create(config, core)` builds the adapter; it talks to the core only through Core's
typed queries (analysis, recent, category_counts, search, related_to, thoughts, react).
"""

from adapters.web.adapter import WebAdapter, create

__all__ = ["WebAdapter", "create"]
