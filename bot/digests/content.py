"""Digest content: what one subscription's (or category's) digest holds, as a Reply.

Pure over store results: the newest analyses of the subscribed categories in the
digest's window, each story once (its other outlets named), at most `[digest]
max_items` per category, grouped by category.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from bot import i18n
from bot.config import Config
from bot.digests.periods import check_zone
from bot.digests.subscriptions import category_error, in_order
from bot.errors import NotFound
from bot.languages import prefer_language
from bot.models import Analysis, ChannelRef, Group, Item, Reply
from bot.permalinks import page_url
from bot.replies import also_covered, item_for, outlet
from bot.store import StoreContract
from bot.store.subscriptions import Scheduled

FIRST_WINDOW = timedelta(hours=24)  # a first digest covers the last day
OUTLET_BONUS = timedelta(hours=6)  # a story each further outlet covers ranks as if newer
FOOTER = (
    "Analyses are generated automatically from their sources: check a source before relying on it."
)


class DigestContent:
    """Builds digests: previews for a channel or category, and the delivered document."""

    def __init__(self, store: StoreContract, config: Config, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def preview(
        self, channel: ChannelRef | None = None, category: str | None = None
    ) -> Reply | None:
        """What a digest would hold now (None: nothing new), without sending."""
        now = self.clock()
        categories = self.config.categories.names
        zone, since = self.config.digest.timezone, now - FIRST_WINDOW
        if channel is not None:
            found = await self.store.subscriptions.scheduled(channel)
            if not found:
                raise NotFound(
                    "this channel has no digest subscription: start one with /subscribe <category>"
                )
            sub = found[0].subscription
            categories, zone, since = sub.categories, sub.timezone, window_start(found[0], now)
        if category is not None:
            name = self.config.category(category)
            if name is None:
                raise category_error(self.config, category)
            categories = tuple(c for c in categories if c == name)
            if not categories:
                raise NotFound(f"this channel is not subscribed to {name}")
        analyses = await self.store.analyses.created_between(tuple(categories), since, now)
        day = now.astimezone(check_zone(zone)).date()
        language = await self.language(channel)
        title = i18n.text(language, "digest_preview")
        stories = await self.story_ids(analyses)
        return self.render(
            day, tuple(categories), analyses, title=title, language=language, stories=stories
        )

    async def story_ids(self, analyses: Sequence[Analysis]) -> dict[int, int]:
        """Which of these analyses share a story (by id): a digest lists a story once."""
        return await self.store.feeds.stories_of([a.id for a in analyses])

    async def language(self, channel: ChannelRef | None) -> str | None:
        """The language a channel's digest is in: its /language, else the default."""
        chosen = await self.store.channels.language(str(channel)) if channel else None
        return chosen or self.default_language()

    def default_language(self) -> str | None:
        """`[analyzer] language` as a base code; None under `auto`."""
        default = self.config.analyzer.language
        return None if default == "auto" else i18n.base_language(default)

    def render(
        self,
        day: date,
        categories: tuple[str, ...],
        analyses: list[Analysis],
        title: str | None = None,
        language: str | None = None,
        stories: Mapping[int, int] | None = None,
    ) -> Reply | None:
        """The digest document: each article once, in `language` where that variant is
        stored; each story once, ranked by recency and outlets; at most max_items per
        category, grouped by category."""
        analyses = prefer_language(analyses, language)
        title = title or i18n.text(language, "daily_digest")
        if not analyses:
            return None
        entries = ranked(analyses, stories or {})
        groups: dict[str, list[Item]] = {c: [] for c in in_order(self.config, categories)}
        shown = 0
        for lead, others in entries:
            group = groups.setdefault(lead.category, [])
            if len(group) >= self.config.digest.max_items:
                continue
            group.append(self._item(lead, others))
            shown += 1
        blocks = tuple(Group(name, tuple(items)) for name, items in groups.items() if items)
        meta = _counts(len(entries), shown, len(blocks))
        return Reply(
            kind="digest",
            title=f"{title} · {day:%A} {day.day} {day:%B %Y}",
            meta=meta,
            blocks=blocks,
            footer=FOOTER,
            category=blocks[0].heading if len(blocks) == 1 else None,
        )

    def _item(self, lead: Analysis, others: Sequence[Analysis]) -> Item:
        """One digest line; a story's line names the other outlets that covered it."""
        meta = i18n.text(lead.language, "min_read", n=lead.reading_minutes)
        if others:
            meta += " · " + also_covered([outlet(a.source) for a in others])
        return item_for(lead, meta, page_url=self._page(lead))

    def _page(self, analysis: Analysis) -> str | None:
        """The analysis's web page when `[web] base_url` is set."""
        base = self.config.web.base_url
        return page_url(base, analysis.id, analysis.headline) if base else None


def ranked(
    analyses: Sequence[Analysis], stories: Mapping[int, int]
) -> list[tuple[Analysis, list[Analysis]]]:
    """Each story once (led by its first analysis in store order: newest, most requested),
    then ranked by recency with every further outlet worth OUTLET_BONUS of it; ties keep
    the store's order."""
    order: list[tuple[Analysis, list[Analysis]]] = []
    lead_of: dict[int, int] = {}  # story id -> index in order
    for a in analyses:
        story = stories.get(a.id)
        if story is not None and story in lead_of:
            order[lead_of[story]][1].append(a)
            continue
        if story is not None:
            lead_of[story] = len(order)
        order.append((a, []))

    def score(entry: tuple[Analysis, list[Analysis]]) -> datetime:
        lead, others = entry
        newest = max([lead.created_at, *(o.created_at for o in others)])
        return newest + OUTLET_BONUS * len(others)

    return sorted(order, key=score, reverse=True)


def window_start(entry: Scheduled, now: datetime) -> datetime:
    """Where a digest starts: at the last delivered one, but never before the day
    preceding (re)activation, so a first digest covers a day and a channel that comes
    back after unsubscribing is not flooded; skipped or failed periods are made up."""
    floor = min(now - FIRST_WINDOW, entry.active_since)
    return max(entry.last_until, floor) if entry.last_until else floor


def empty_digest(day: date) -> Reply:
    """`send_empty = true`: the channel hears that today had nothing new."""
    return Reply(
        kind="digest",
        title=f"Daily digest · {day:%A} {day.day} {day:%B %Y}",
        meta="Nothing new in your categories today.",
        footer=FOOTER,
    )


def _counts(total: int, shown: int, groups: int) -> str:
    """`3 new analyses in 2 categories · the 2 newest shown`."""
    noun = "analysis" if total == 1 else "analyses"
    where = "1 category" if groups == 1 else f"{groups} categories"
    text = f"{total} new {noun} in {where}"
    return text if shown == total else f"{text} · the {shown} newest shown"
