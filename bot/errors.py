"""Every failure a user can meet, each with a kind and a short, specific answer.

The `kind` is stable: the CLI prints it first on its one stderr line, logs carry it,
and replies expose it so adapters can decide how to show it (Discord: ephemeral).
"""

from __future__ import annotations

from datetime import datetime


class PrismError(Exception):
    """Base: `str(err)` is the one-line answer a user sees."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreUnavailable(PrismError):
    """The store cannot be opened or reached (the message never holds a password)."""

    kind = "store-unavailable"


class StoreNotEmpty(PrismError):
    """`store copy` was pointed at a database that already holds data."""

    kind = "store-not-empty"


class ConfigError(PrismError):
    """A bad or missing setting; the message names the key."""

    kind = "config"


class NotALink(PrismError):
    """The text holds no http(s) link."""

    kind = "not-a-link"


class BlockedAddress(PrismError):
    """The link resolves to an address the fetcher refuses (private, loopback, …)."""

    kind = "blocked"


class PageNotFound(PrismError):
    """The site says the page does not exist (404, 410)."""

    kind = "not-found"


class FetchFailed(PrismError):
    """The site answered with an error or the connection failed."""

    kind = "fetch-failed"


class NotAnArticle(PrismError):
    """The page is no article: PDF, image, or too little text."""

    kind = "not-an-article"


class TooLarge(PrismError):
    """The page is larger than `[fetch] max_bytes`."""

    kind = "too-large"


class TimedOut(PrismError):
    """Something took longer than allowed: a page, a platform, a generator."""

    kind = "timeout"


class TooManyRedirects(PrismError):
    """The link redirects more often than allowed."""

    kind = "redirects"


class GeneratorBusy(PrismError):
    """The model is overloaded or rate limited even after retries: try again shortly."""

    kind = "busy"


class AnalysisUnavailable(PrismError):
    """The analyser is misconfigured (bad key, bad model): not the user's fault."""

    kind = "unavailable"


class InvalidAnalysis(PrismError):
    """The model's output failed validation even after the repair attempt."""

    kind = "invalid-analysis"


class BudgetReached(PrismError):
    """A per-user or global generation budget is used up for now."""

    kind = "budget"

    def __init__(self, message: str, resets_at: datetime) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class StorageUnavailable(PrismError):
    """The store cannot be opened: an unwritable or invalid `[storage] path`, say."""

    kind = "storage"


class Unreachable(PrismError):
    """A platform's API cannot be reached at start-up (a wrong base_url, no network)."""

    kind = "unreachable"


class NotFound(PrismError):
    """An id or URL that the store does not know."""

    kind = "not-found"


class Forbidden(PrismError):
    """The caller may not do this here (e.g. change subscriptions without admin rights)."""

    kind = "forbidden"


class BadArguments(PrismError):
    """The command's arguments are wrong; the message says how to use it."""

    kind = "usage"


class UnknownLanguage(BadArguments):
    """A language code that names no language (`/language xx`)."""

    kind = "unknown-language"


class UnsupportedLanguage(BadArguments):
    """A real language that analyses are not written in well enough to offer."""

    kind = "unsupported-language"


class NotAvailable(PrismError):
    """A command whose feature is not built or not enabled."""

    kind = "not-available"


# --- raised by adapters' send(), handled by the delivery code ------------------------


class ChannelGone(PrismError):
    """The bot can no longer post there (blocked, kicked, channel deleted): deactivate."""

    kind = "channel-gone"


class ChannelMoved(PrismError):
    """Telegram group upgraded to a supergroup: the subscription follows the new id."""

    kind = "channel-moved"

    def __init__(self, message: str, new_id: str) -> None:
        super().__init__(message)
        self.new_id = new_id


class SendFailed(PrismError):
    """A transient send failure, worth retrying later."""

    kind = "send-failed"
