"""What the landing page reads of the promotion: upcoming rounds, seats left, read through the
promotion client quickly or said to be unavailable, a good answer kept a while."""

import asyncio
from datetime import UTC, datetime
from typing import cast

import pytest

from services.intake import promotion_calendar
from services.intake.promotion_calendar import (
    DirectoryPromotionCalendar,
    PromotionOutlook,
    PromotionUnavailable,
)
from tests.unit.services.intake.landing import sample_outlook
from workflows.client_errors import WorkflowsUnavailable
from workflows.promotion.client import PromotionDirectory, PromotionNotFound
from workflows.promotion.models import RoundRef, SeatsSummary


class StubDirectory:
    """Stands for the promotion client: answers both queries, or fails as it would."""

    def __init__(self, *, error: Exception | None = None, hang: bool = False) -> None:
        self.error = error
        self.hang = asyncio.Event() if hang else None
        self.queries: list[tuple[str, int]] = []

    async def calendar(self, promotion_number: int) -> list[RoundRef]:
        await self._answer("calendar", promotion_number)
        return sample_outlook().rounds

    async def seats(self, promotion_number: int) -> SeatsSummary:
        await self._answer("seats", promotion_number)
        return SeatsSummary(seats_taken=3, seat_cap=30)

    async def _answer(self, name: str, promotion_number: int) -> None:
        self.queries.append((name, promotion_number))
        if self.hang is not None:
            await self.hang.wait()
        if self.error is not None:
            raise self.error


def calendar(directory: StubDirectory, clock: list[float]) -> DirectoryPromotionCalendar:
    return DirectoryPromotionCalendar(
        cast(PromotionDirectory, directory), 7, cache_seconds=30, clock=lambda: clock[0]
    )


class TestOutlook:
    def test_upcoming_rounds_are_the_open_ones_with_a_cut_off_ahead(self) -> None:
        upcoming = sample_outlook().upcoming_rounds(datetime.now(UTC))
        assert [ref.round_id for ref in upcoming] == ["7-project-next", "7-candidate-next"]

    def test_seats_left_never_goes_below_zero(self) -> None:
        full = PromotionOutlook(7, SeatsSummary(seats_taken=32, seat_cap=30), [])
        assert (sample_outlook().seats_left, full.seats_left) == (18, 0)


class TestThroughThePromotionClient:
    async def test_it_reads_both_queries_of_the_current_promotion(self) -> None:
        directory = StubDirectory()
        outlook = await calendar(directory, [0.0]).outlook()
        assert directory.queries == [("calendar", 7), ("seats", 7)]
        assert (outlook.number, outlook.seats_left, len(outlook.rounds)) == (7, 27, 4)

    async def test_a_good_answer_is_kept_for_a_while_then_read_again(self) -> None:
        directory = StubDirectory()
        clock = [0.0]
        landing = calendar(directory, clock)
        await landing.outlook()
        clock[0] = 29.0
        await landing.outlook()
        assert len(directory.queries) == 2
        clock[0] = 31.0
        await landing.outlook()
        assert len(directory.queries) == 4

    @pytest.mark.parametrize(
        "error",
        [WorkflowsUnavailable("Temporal unreachable"), PromotionNotFound(7)],
        ids=["temporal down", "no such promotion"],
    )
    async def test_a_promotion_that_cannot_answer_is_unavailable(self, error: Exception) -> None:
        landing = calendar(StubDirectory(error=error), [0.0])
        with pytest.raises(PromotionUnavailable):
            await landing.outlook()

    async def test_a_promotion_that_does_not_answer_in_time_is_unavailable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(promotion_calendar, "ANSWER_TIMEOUT_SECONDS", 0.05)
        directory = StubDirectory(hang=True)
        with pytest.raises(PromotionUnavailable):
            await calendar(directory, [0.0]).outlook()
        assert directory.queries == [("calendar", 7)]

    async def test_a_failure_is_not_kept(self) -> None:
        directory = StubDirectory(error=WorkflowsUnavailable("down"))
        landing = calendar(directory, [0.0])
        with pytest.raises(PromotionUnavailable):
            await landing.outlook()
        directory.error = None
        assert (await landing.outlook()).number == 7
