"""What the landing page reads of the promotion: upcoming rounds, seats left, and an adapter
that answers quickly or says the promotion is unavailable, keeping a good answer a while."""

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from libs.temporal import TemporalConnection
from services.intake import promotion_calendar
from services.intake.promotion_calendar import (
    PromotionUnavailable,
    TemporalPromotionCalendar,
)
from tests.unit.services.intake.landing import sample_outlook
from workflows.promotion.models import SeatsSummary


class StubHandle:
    def __init__(self, answers: dict[str, Any], hang: asyncio.Event | None) -> None:
        self.answers = answers
        self.hang = hang
        self.queries: list[str] = []

    async def query(self, name: str, **_: Any) -> Any:
        self.queries.append(name)
        if self.hang is not None:
            await self.hang.wait()
        return self.answers[name]


class StubConnection:
    """Stands for TemporalConnection: a client whose workflow handle answers the queries."""

    def __init__(self, answers: dict[str, Any], *, hang: bool = False, down: bool = False):
        self.handle = StubHandle(answers, asyncio.Event() if hang else None)
        self.down = down
        self.workflow_ids: list[str] = []

    async def client(self) -> Any:
        if self.down:
            raise RuntimeError("Failed client connect: connection refused")
        return self

    def get_workflow_handle(self, workflow_id: str) -> StubHandle:
        self.workflow_ids.append(workflow_id)
        return self.handle


ANSWERS = {"calendar": sample_outlook().rounds, "seats": SeatsSummary(seats_taken=3, seat_cap=30)}


def adapter(connection: StubConnection, clock: list[float]) -> TemporalPromotionCalendar:
    return TemporalPromotionCalendar(
        cast(TemporalConnection, connection), 7, cache_seconds=30, clock=lambda: clock[0]
    )


class TestOutlook:
    def test_upcoming_rounds_are_the_open_ones_with_a_cut_off_ahead(self) -> None:
        outlook = sample_outlook()
        upcoming = outlook.upcoming_rounds(datetime.now(UTC))
        assert [ref.round_id for ref in upcoming] == ["7-project-next", "7-candidate-next"]

    def test_seats_left_never_goes_below_zero(self) -> None:
        outlook = sample_outlook()
        full = type(outlook)(7, SeatsSummary(seats_taken=32, seat_cap=30), [])
        assert (outlook.seats_left, full.seats_left) == (18, 0)


class TestTemporalAdapter:
    async def test_it_reads_both_queries_of_the_promotion_s_workflow(self) -> None:
        connection = StubConnection(ANSWERS)
        outlook = await adapter(connection, [0.0]).outlook()
        assert connection.workflow_ids == ["promotion-7"]
        assert (outlook.number, outlook.seats_left, len(outlook.rounds)) == (7, 27, 4)

    async def test_a_good_answer_is_kept_for_a_while_then_read_again(self) -> None:
        connection = StubConnection(ANSWERS)
        clock = [0.0]
        calendar = adapter(connection, clock)
        await calendar.outlook()
        clock[0] = 29.0
        await calendar.outlook()
        assert connection.handle.queries == ["calendar", "seats"]
        clock[0] = 31.0
        await calendar.outlook()
        assert connection.handle.queries == ["calendar", "seats"] * 2

    async def test_temporal_down_is_unavailable(self) -> None:
        with pytest.raises(PromotionUnavailable):
            await adapter(StubConnection(ANSWERS, down=True), [0.0]).outlook()

    async def test_a_promotion_that_does_not_answer_in_time_is_unavailable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(promotion_calendar, "ANSWER_TIMEOUT_SECONDS", 0.05)
        connection = StubConnection(ANSWERS, hang=True)
        with pytest.raises(PromotionUnavailable):
            await adapter(connection, [0.0]).outlook()
        assert connection.handle.queries == ["calendar"]
