"""The store contract: what every backend (SQLite, PostgreSQL) implements.

The rest of the bot speaks these repository methods and value types, never SQL. A
backend is one object with the repositories below, a schema version and a close;
tests/store_contract runs the same behaviour suite against each backend.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.ingest.feeds.policy import FeedState
    from bot.store.feeds import Feed, Origin, SeenItem, StoryMember

from bot.models import (
    Analysis,
    Article,
    ChannelRef,
    Draft,
    Generator,
    Subscription,
    ThoughtKind,
    Thoughts,
    Usage,
)

# --- value types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """What `stats` reports: counts so far and model usage."""

    analyses: int
    requests: int
    generations: int
    failures: int
    deliveries_sent: int
    deliveries_failed: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    by_backend: dict[str, int]
    # generation tokens per model ("" when none was recorded), for cost at each model's prices
    by_model: dict[str, Usage] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Generations:
    """Generations in a window: how many, and the first (a budget resets an hour after it)."""

    count: int
    first: datetime | None


@dataclass(frozen=True, slots=True)
class Scheduled:
    """An active subscription with what the ledger knows of it: enough to tell what is due."""

    subscription: Subscription
    active_since: datetime
    last_period: str | None  # the latest period with a ledger row, if any
    last_status: str | None
    last_until: datetime | None  # where the last delivered (sent or empty) digest ended


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ledger row: a subscription's digest for one local date."""

    id: int
    subscription_id: int
    period: str  # local date, YYYY-MM-DD
    due_at: datetime
    status: str
    attempts: int
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A period the caller is about to deliver (new or left pending by a crash)."""

    subscription_id: int
    period: str
    due_at: datetime
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Brief:
    """The columns related-ranking reads of a candidate; `Analysis` has the same names."""

    id: int
    article_id: int
    canonical_url: str
    headline: str
    category: str
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredVector:
    """One stored embedding: its write sequence number, analysis id and unit vector."""

    seq: int
    analysis_id: int
    vector: array[float]


# --- repositories ---------------------------------------------------------------------------


class AnalysesContract(Protocol):
    """Articles, the URLs that led to them, and their analyses."""

    async def by_url(self, url: str, language: str | None = None) -> Analysis | None:
        """The analysis for a canonical URL, or for any URL that once led to it: the
        variant in `language` when given, else the article's first variant."""
        ...

    async def variants(self, article_id: int) -> tuple[str, ...]:
        """The languages an article's analysis is stored in, oldest variant first."""
        ...

    async def by_id(self, analysis_id: int) -> Analysis | None:
        """One analysis by id."""
        ...

    async def many(self, ids: list[int]) -> dict[int, Analysis]:
        """Several analyses by id (missing ids are left out)."""
        ...

    async def article(self, article_id: int) -> Article | None:
        """The stored article (its extracted text), to re-analyse without fetching."""
        ...

    async def save(
        self,
        article: Article,
        draft: Draft,
        urls: tuple[str, ...] = (),
        created_at: datetime | None = None,
    ) -> Analysis:
        """Article, URLs, analysis and index rows in one transaction; replaces in place."""
        ...

    async def add_url(self, article_id: int, url: str) -> None:
        """Remember another URL that led to a known article."""
        ...

    async def forget(self, analysis_id: int) -> bool:
        """Remove an analysis, its article and its URLs; False if there was none."""
        ...

    async def count(self) -> int:
        """How many analyses are stored."""
        ...

    async def recent(self, limit: int = 20, category: str | None = None) -> list[Analysis]:
        """Newest first, optionally of one category."""
        ...

    async def category_counts(self) -> dict[str, int]:
        """How many analyses each stored category holds."""
        ...

    async def search(self, text: str, limit: int = 20) -> list[Analysis]:
        """Analyses holding every word of `text`, best first; no text is query syntax."""
        ...

    async def created_between(
        self, categories: tuple[str, ...], since: datetime, until: datetime
    ) -> list[Analysis]:
        """Analyses in `categories` created in (since, until], newest first."""
        ...


class UsageContract(Protocol):
    """Requests and generations, for budgets and `stats`."""

    def record_request(self, analysis_id: int, user: str, channel: str, detail: str) -> None:
        """Count one answered request soon (batched); `flush` writes it now."""
        ...

    async def flush(self) -> None:
        """Write every counted request now."""
        ...

    async def record(
        self,
        kind: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        analysis_id: int | None = None,
        generator: Generator | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """One usage row: a generation (with its model usage) or a failure."""
        ...

    async def generations_since(self, since: datetime, user: str | None = None) -> Generations:
        """Generations after `since` (for one user, or for everyone): counted, not listed,
        since budgets ask on every new link and a day's rows run into the thousands."""
        ...

    async def totals(self) -> Totals:
        """Counts and token sums so far."""
        ...


class SubscriptionsContract(Protocol):
    """One subscription per channel."""

    async def get(self, channel: ChannelRef) -> Subscription | None:
        """The channel's subscription, active or not."""
        ...

    async def by_id(self, subscription_id: int) -> Subscription | None:
        """A subscription by id."""
        ...

    async def save(
        self,
        channel: ChannelRef,
        categories: tuple[str, ...],
        time: str,
        timezone: str,
        now: datetime,
        restart: bool,
    ) -> Subscription:
        """Create or update the channel's row, active; `restart` moves active_since."""
        ...

    async def set_categories(
        self, channel: ChannelRef, categories: tuple[str, ...], now: datetime
    ) -> None:
        """Keep these categories; none left means the channel is unsubscribed."""
        ...

    async def deactivate(self, channel: ChannelRef, now: datetime) -> bool:
        """Stop a channel's digests (it is gone); False if it had none active."""
        ...

    async def move(self, channel: ChannelRef, new: ChannelRef, now: datetime) -> bool:
        """Point the subscription at the channel's new id, merging if one exists there."""
        ...

    async def scheduled(self, channel: ChannelRef | None = None) -> list[Scheduled]:
        """Every active subscription (or one channel's) with its latest ledger row."""
        ...

    async def count_active(self) -> int:
        """How many subscriptions are active."""
        ...


class DeliveriesContract(Protocol):
    """The delivery ledger: one row per subscription and period."""

    async def claim(self, claims: Iterable[Claim], now: datetime) -> list[Delivery]:
        """Write new periods as pending and take over pending ones, in one transaction."""
        ...

    async def finish(
        self,
        delivery_id: int,
        status: str,
        now: datetime,
        items: int = 0,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a pending row."""
        ...

    async def retrying(self, delivery_id: int, error: str, now: datetime) -> None:
        """A transient failure: one more attempt is about to be made."""
        ...

    async def record(
        self,
        subscription_id: int,
        period: str,
        due_at: datetime,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> bool:
        """A period decided without sending; False if it had a row already."""
        ...

    async def last_until(self, subscription_id: int) -> datetime | None:
        """Where the subscription's last delivered digest ended (None: never)."""
        ...

    async def for_subscription(self, subscription_id: int) -> list[Delivery]:
        """Every ledger row of one subscription, by period."""
        ...

    async def counts(self) -> dict[str, int]:
        """Rows per status, for `stats`."""
        ...


class PacingContract(Protocol):
    """Send slots per bot token, shared by every process on the database."""

    async def reserve(self, key: str, now: float, interval: float, count: int) -> float:
        """Take the next `count` slots `interval` apart, none before `now`; the first one's time."""
        ...


class UpdatesContract(Protocol):
    """Incoming updates already handled, so several receivers answer each once."""

    async def first(self, bot: str, update_id: int, now: float, keep_s: float) -> bool:
        """Record the update as handled; False when some process recorded it already."""
        ...


class TextIndexContract(Protocol):
    """Full-text search as related-ranking uses it (SQLite FTS5; PostgreSQL tsvector).

    Columns are headline, tags, dek and body, in that order wherever weights appear.
    """

    async def terms(self, texts: Sequence[str]) -> list[set[str]]:
        """The index terms of each text, by the backend's own tokenizer and stemmer."""
        ...

    async def document_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """(term -> analyses holding it, for known terms; archive size, never shrinking)."""
        ...

    async def match(
        self,
        phrases: Sequence[str],
        column_weights: tuple[float, float, float, float],
        exclude_id: int,
        limit: int,
    ) -> dict[int, float]:
        """Analyses holding any phrase: id -> score (higher is better), best first."""
        ...

    async def briefs(self, ids: Sequence[int]) -> list[Brief]:
        """What scoring needs of each analysis (missing ids are left out)."""
        ...


class VectorsContract(Protocol):
    """Embedding vectors, one per analysis and model."""

    async def save(self, model: str, vectors: Sequence[tuple[int, Sequence[float]]]) -> None:
        """Store (analysis id, unit vector) pairs, replacing older ones, in one go."""
        ...

    async def missing(self, model: str, limit: int) -> list[int]:
        """Ids of analyses without a vector from `model`, oldest first."""
        ...

    async def since(self, model: str, after: int) -> list[StoredVector]:
        """Vectors of `model` written after sequence number `after`, in write order."""
        ...

    async def count(self, model: str | None = None) -> int:
        """How many vectors are stored (of one model, or of all)."""
        ...


class ThoughtsContract(Protocol):
    """Readers' reactions: one per reader per analysis, changeable."""

    async def react(self, analysis_id: int, reader: str, kind: ThoughtKind) -> Thoughts:
        """Store (or change) one reader's reaction and return the new counts."""
        ...

    async def counts(self, analysis_id: int) -> Thoughts:
        """The reaction counts of one analysis (zero when none)."""
        ...

    async def flagged(self, threshold: int) -> list[tuple[int, Thoughts]]:
        """Analyses with at least `threshold` `inaccurate` reactions, most flagged first."""
        ...


class LocksContract(Protocol):
    """Locks that hold across every process sharing the store."""

    def generating(self, canonical_url: str) -> AbstractAsyncContextManager[None]:
        """Held while one process generates this URL's analysis; the others wait."""


class ChannelsContract(Protocol):
    """A channel's settings: its language."""

    async def language(self, channel: str) -> str | None:
        """The language a channel chose with /language, or None if it never did."""
        ...

    async def languages(self) -> dict[str, str]:
        """Every channel's chosen language at once (a digest pass asks for all)."""
        ...

    async def set_language(self, channel: str, language: str, at: datetime) -> None:
        """Store (or change) a channel's language."""
        ...


class FeedsContract(Protocol):
    """News feeds with their polling state, the items seen, and stories across outlets."""

    async def add(
        self,
        url: str,
        now: datetime,
        *,
        name: str = "",
        category: str = "",
        language: str = "",
        every_min: int = 0,
        origin: Origin = "cli",
    ) -> Feed:
        """Add a feed or update what it is; its polling state is kept."""
        ...

    async def remove(self, url: str) -> bool:
        """Stop polling a feed (its analyses stay); False when it was not there."""
        ...

    async def get(self, url: str) -> Feed | None:
        """The feed stored under `url`, if any."""
        ...

    async def all(self) -> list[Feed]:
        """Every stored feed, oldest first."""
        ...

    async def due(self, now: datetime, limit: int = 10_000) -> list[Feed]:
        """Feeds not disabled whose next poll is due, most overdue first."""
        ...

    async def save_state(self, feed_id: int, state: FeedState) -> None:
        """A feed's polling state after a poll that brought no items."""
        ...

    async def save_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        """Many feeds' states in one transaction (a round of 304s)."""
        ...

    async def record_poll(
        self, feed_id: int, state: FeedState, items: Sequence[SeenItem], now: datetime
    ) -> None:
        """A poll's new state and its items, all or nothing."""
        ...

    async def known(
        self, feed_id: int, guids: Iterable[str], links: Iterable[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these GUIDs and canonical links this feed has seen already."""
        ...

    async def analysed_since(self, since: datetime) -> int:
        """Feed items analysed since `since` (the feed budget)."""
        ...

    async def items(self, feed_id: int) -> list[SeenItem]:
        """Every item seen in one feed, oldest first."""
        ...

    async def join_story(
        self,
        analysis_id: int,
        story_id: int | None,
        signature: bytes,
        published_at: datetime,
        now: datetime,
    ) -> int:
        """Put an analysis in a story (a new one when `story_id` is None); its id."""
        ...

    async def story_of(self, analysis_id: int) -> tuple[int, list[int]] | None:
        """An analysis's story id and its members, or None when it stands alone."""
        ...

    async def stories_of(self, analysis_ids: Sequence[int]) -> dict[int, int]:
        """Analysis id -> story id, for those of `analysis_ids` that are in a story."""
        ...

    async def members_since(self, since: datetime) -> list[StoryMember]:
        """Story members published since `since` (to rebuild the story index)."""
        ...


class StoreContract(Protocol):
    """One opened backend: its repositories, its schema version, and a close."""

    @property
    def analyses(self) -> AnalysesContract:
        """Articles and analyses."""
        ...

    @property
    def usage(self) -> UsageContract:
        """Requests and generations."""
        ...

    @property
    def subscriptions(self) -> SubscriptionsContract:
        """Digest subscriptions."""
        ...

    @property
    def deliveries(self) -> DeliveriesContract:
        """The delivery ledger."""
        ...

    @property
    def feeds(self) -> FeedsContract:
        """News feeds, items seen and stories."""
        ...

    @property
    def channels(self) -> ChannelsContract:
        """Channel settings (language)."""
        ...

    @property
    def pacing(self) -> PacingContract:
        """Send slots per bot token, shared across processes."""
        ...

    @property
    def updates(self) -> UpdatesContract:
        """Incoming updates already handled."""
        ...

    @property
    def text(self) -> TextIndexContract:
        """The full-text index."""
        ...

    @property
    def vectors(self) -> VectorsContract:
        """Embedding vectors."""
        ...

    @property
    def thoughts(self) -> ThoughtsContract:
        """Readers' reactions."""
        ...

    @property
    def locks(self) -> LocksContract:
        """Cross-process locks (single flight)."""
        ...

    def describe(self) -> str:
        """Where the data lives, for `doctor` (no secrets)."""
        ...

    async def schema_version(self) -> int:
        """The number of the newest migration applied."""
        ...

    async def close(self) -> None:
        """Write what is pending and close the connection."""
        ...

    async def aclose(self) -> None:
        """The same as `close`, under the name every other part uses."""
        ...
