"""The current promotion's seats and selection rounds, as intake's public pages show them.

The promotion workflow owns both; they are read through its client
(:class:`workflows.promotion.client.PromotionDirectory`, the ``calendar`` and ``seats``
queries). The landing page must render when Temporal or the worker is down, so
:class:`DirectoryPromotionCalendar` answers within a few seconds or raises
:class:`PromotionUnavailable`, and keeps a good answer for a short while (the page is the most
visited, and every query needs a worker).
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from libs.messages.common import DossierKind
from workflows.client_errors import WorkflowNotFound, WorkflowsUnavailable
from workflows.promotion.client import PromotionDirectory
from workflows.promotion.models import RoundRef, RoundState, SeatsSummary

ANSWER_TIMEOUT_SECONDS = 3.0
"""Connecting included: past it the page says the calendar is unavailable."""
CACHE_SECONDS = 30.0


class PromotionUnavailable(Exception):
    """Temporal, the promotion's workflow or its worker did not answer."""


@dataclass(frozen=True)
class PromotionOutlook:
    number: int
    seats: SeatsSummary
    rounds: list[RoundRef]
    """Every round, by cut-off (the ``calendar`` query's order)."""

    @property
    def seats_left(self) -> int:
        return max(self.seats.seat_cap - self.seats.seats_taken, 0)

    def upcoming_rounds(self, now: datetime) -> list[RoundRef]:
        """Rounds still taking dossiers: open, cut-off ahead."""
        return [ref for ref in self.rounds if ref.state == RoundState.OPEN and ref.cutoff_at > now]


class PromotionCalendar(Protocol):
    async def outlook(self) -> PromotionOutlook:
        """Raises :class:`PromotionUnavailable` when the promotion cannot answer now."""
        ...


class DirectoryPromotionCalendar:
    """Promotion ``number`` read through the promotion client, within a few seconds."""

    def __init__(
        self,
        directory: PromotionDirectory,
        number: int,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._number = number
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, PromotionOutlook] | None = None

    async def outlook(self) -> PromotionOutlook:
        if self._cached is not None and self._clock() < self._cached[0]:
            return self._cached[1]
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_SECONDS):
                rounds = await self._directory.calendar(self._number)
                seats = await self._directory.seats(self._number)
        except (WorkflowsUnavailable, WorkflowNotFound, TimeoutError) as error:
            raise PromotionUnavailable(
                f"promotion {self._number} did not answer ({type(error).__name__})"
            ) from error
        outlook = PromotionOutlook(number=self._number, seats=seats, rounds=rounds)
        self._cached = (self._clock() + self._cache_seconds, outlook)
        return outlook


async def next_round(
    calendar: PromotionCalendar, kind: DossierKind, now: datetime
) -> RoundRef | None:
    """The next round a dossier of ``kind`` can join; None when none is open or the promotion
    does not answer (pages then say rounds take place every two months)."""
    try:
        outlook = await calendar.outlook()
    except PromotionUnavailable:
        return None
    upcoming = [ref for ref in outlook.upcoming_rounds(now) if ref.kind == kind]
    return upcoming[0] if upcoming else None
