"""Filing analyses into stories: the in-memory index plus the store, kept in step."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.models import Analysis
from bot.store.contract import FeedsContract
from bot.stories.index import StoryIndex
from bot.stories.signature import Signature, signature


class Stories:
    """`await stories.file(analysis)` puts it in a story; True when it joined one."""

    def __init__(
        self, repo: FeedsContract, clock: Callable[[], datetime], index: StoryIndex | None = None
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.index = index or StoryIndex()
        self._lock = asyncio.Lock()  # match and store as one step: feeds file concurrently

    async def load(self) -> int:
        """Rebuild the index from the store's members inside the window; how many."""
        members = await self.repo.members_since(self.clock() - self.index.window)
        for member in members:
            sig = Signature.from_bytes(member.signature)
            self.index.assign(member.analysis_id, sig, member.published_at, member.story_id)
        return len(members)

    async def file(self, analysis: Analysis) -> bool:
        """Assign a story (stored at once); an analysis already filed stays where it is."""
        sig = signature(analysis.source.title or analysis.headline, article_text(analysis))
        published = published_at(analysis)
        async with self._lock:
            if await self.repo.story_of(analysis.id) is not None:
                return False
            return await self._file(analysis.id, sig, published)

    async def _file(self, analysis_id: int, sig: Signature, published: datetime) -> bool:
        match = self.index.best_match(sig, published)
        story = await self.repo.join_story(
            analysis_id, match.story if match else None, sig.to_bytes(), published, self.clock()
        )
        self.index.assign(analysis_id, sig, published, story)
        return match is not None


def article_text(analysis: Analysis) -> str:
    """What an analysis says of its article: the lead and every paragraph."""
    paragraphs = (p for section in analysis.sections for p in section.paragraphs)
    return " ".join([analysis.dek, *paragraphs])


def published_at(analysis: Analysis) -> datetime:
    """The source's publication time when readable, else when the analysis was made."""
    text = analysis.source.published_at or ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return analysis.created_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=analysis.created_at.tzinfo)
    plausible = abs(moment - analysis.created_at) < timedelta(days=365)
    return moment if plausible else analysis.created_at
