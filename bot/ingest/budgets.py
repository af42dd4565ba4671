"""Who pays for a new analysis, and how much they may spend.

New analyses cost money (a model call) and time (a fetch). Every generation counts
against the global daily limit (`[limits] global_per_day`); on top of it, a payer may
have limits of its own: a chat user per hour (`[limits] user_per_hour`), a feed per
day. The CLI operator has only the global one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import LimitsConfig
from bot.errors import BudgetReached
from bot.store.contract import UsageContract

OPERATOR = "cli"  # the payer name usage rows of the command line carry


@dataclass(frozen=True, slots=True)
class Budget:
    """A payer (the usage rows' `user`) and its own limits; None means no own limit."""

    payer: str
    per_hour: int | None = None
    per_day: int | None = None

    @classmethod
    def chat_user(cls, user: str, limits: LimitsConfig) -> Budget:
        """A chat user: `[limits] user_per_hour` new analyses per hour."""
        return cls(user, per_hour=limits.user_per_hour)

    @classmethod
    def operator(cls) -> Budget:
        """The CLI operator: only the global daily limit."""
        return cls(OPERATOR)

    @classmethod
    def feed(cls, name: str, per_day: int) -> Budget:
        """A news feed (or all of them under one name): its own daily limit."""
        return cls(name, per_day=per_day)


class BudgetCheck:
    """Raises BudgetReached when `budget` or the global daily limit is used up."""

    def __init__(
        self, usage: UsageContract, limits: LimitsConfig, clock: Callable[[], datetime]
    ) -> None:
        self.usage = usage
        self.limits = limits
        self.clock = clock

    async def __call__(self, budget: Budget) -> None:
        """Check the payer's hour, the payer's day, then everyone's day."""
        now = self.clock()
        if budget.per_hour is not None:
            await self._hourly(budget.payer, budget.per_hour, now)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        since = day_start - timedelta(microseconds=1)
        if budget.per_day is not None:
            mine = await self.usage.generations_since(since, user=budget.payer)
            if mine.count >= budget.per_day:
                resets = day_start + timedelta(days=1)
                raise BudgetReached(
                    f"{budget.payer} has used its daily budget of {budget.per_day} new "
                    f"analyses; it resets at {resets:%H:%M} UTC",
                    resets,
                )
        today = await self.usage.generations_since(since)
        if today.count >= self.limits.global_per_day:
            resets = day_start + timedelta(days=1)
            raise BudgetReached(
                f"the daily budget of {self.limits.global_per_day} new analyses is used up; "
                f"it resets at {resets:%H:%M} UTC (stored analyses still answer at once)",
                resets,
            )

    async def _hourly(self, payer: str, per_hour: int, now: datetime) -> None:
        recent = await self.usage.generations_since(now - timedelta(hours=1), user=payer)
        if recent.count >= per_hour:
            resets = (recent.first or now) + timedelta(hours=1)  # none at all when 0
            raise BudgetReached(
                f"you have asked for {per_hour} new analyses in the last hour; "
                f"try again after {resets:%H:%M} UTC (stored analyses still answer at once)",
                resets,
            )
