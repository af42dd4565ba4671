"""prism-bot core: links become analyses; no platform code lives here."""

__version__ = "0.1.0"
