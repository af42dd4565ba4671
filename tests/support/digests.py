"""Test helpers for subscriptions and digests: a hand-set clock, stored analyses, and
a sender that records what a platform would have accepted (or misbehaves on cue)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.errors import ChannelGone, ChannelMoved, SendFailed
from bot.models import Analysis, Article, ChannelRef, Draft, Generator, Reply, Request, Section
from bot.store import StoreContract


class Clock:
    """A clock the test moves by hand; every service reads it instead of the wall."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def utc(text: str) -> datetime:
    """`2026-03-29 01:00` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def add_analysis(
    store: StoreContract, headline: str, category: str, created_at: datetime, requests: int = 0
) -> Analysis:
    """Store an analysis with a given creation time (as seeds keep theirs)."""
    slug = headline.lower().replace(" ", "-")
    url = f"http://127.0.0.1/{slug}.html"
    article = Article(url, url, headline, "Body text. " * 50, 100, site="Example News")
    draft = Draft(
        headline=headline,
        dek=f"{headline} is explained. A second sentence follows.",
        category=category,
        sections=(Section("What happened", ("Words " * 230,)),),
        tags=(category.lower(),),
        language="en",
        generator=Generator("offline", "extract", "v1"),
    )
    saved = await store.analyses.save(article, draft, created_at=created_at)
    for _ in range(requests):  # as the core counts answered requests
        store.usage.record_request(saved.id, "u1", "discord:100", "cached")
    await store.usage.flush()
    return saved


def request(command: str, text: str, channel: str = "discord:100") -> Request:
    return Request(command, text, ChannelRef.parse(channel), user="u1", is_admin=True)


@dataclass
class RecordingSender:
    """A Sender that records each accepted reply, with scripted failures per channel.

    `gone`: channels that raise ChannelGone; `moved`: channel id -> new id;
    `fail`: channel id -> how many SendFailed before accepting; `hang_after_accept`:
    channels whose message is recorded (the platform has it) but whose answer never
    comes back, like a process killed before it could mark the row sent.
    """

    platform: str = "discord"
    gone: set[str] = field(default_factory=set)
    moved: dict[str, str] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)
    hang_after_accept: set[str] = field(default_factory=set)
    received: list[tuple[str, Reply]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    expect: int = 0  # set `arrived` once this many messages were accepted

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        self.calls[channel.id] += 1
        await asyncio.sleep(0)
        if channel.id in self.gone:
            raise ChannelGone("bot was removed from the channel")
        if channel.id in self.moved:
            raise ChannelMoved("group upgraded", self.moved[channel.id])
        if self.fail.get(channel.id, 0) > 0:
            self.fail[channel.id] -= 1
            raise SendFailed("server error 502")
        self.received.append((str(channel), reply))
        if self.expect and len(self.received) >= self.expect:
            self.arrived.set()
        if channel.id in self.hang_after_accept:
            await asyncio.Event().wait()

    def channels(self) -> Counter[str]:
        return Counter(ch for ch, _ in self.received)
