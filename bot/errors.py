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


class ConfigError(PrismError):
    kind = "config"


class NotALink(PrismError):
    kind = "not-a-link"


class BlockedAddress(PrismError):
    kind = "blocked"


class PageNotFound(PrismError):
    kind = "not-found"


class FetchFailed(PrismError):
    """The site answered with an error or the connection failed."""

    kind = "fetch-failed"


class NotAnArticle(PrismError):
    kind = "not-an-article"


class TooLarge(PrismError):
    kind = "too-large"


class TimedOut(PrismError):
    kind = "timeout"


class TooManyRedirects(PrismError):
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
    kind = "budget"

    def __init__(self, message: str, resets_at: datetime) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class NotFound(PrismError):
    """An id or URL that the store does not know."""

    kind = "unknown"


class Forbidden(PrismError):
    """The caller may not do this here (e.g. change subscriptions without admin rights)."""

    kind = "forbidden"


class BadArguments(PrismError):
    kind = "usage"


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
