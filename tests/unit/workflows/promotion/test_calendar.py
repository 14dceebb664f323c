"""The default calendar (pure): a round of each kind every two months, cut-offs 23:59 in Paris."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from libs.messages.common import DossierKind
from workflows.promotion.calendar import bimonthly_calendar, first_cutoff_after
from workflows.promotion.models import RoundPlan

PARIS = ZoneInfo("Europe/Paris")


def paris_dates(plans: list[RoundPlan]) -> list[date]:
    return sorted({plan.cutoff_at.astimezone(PARIS).date() for plan in plans})


class TestBimonthlyCalendar:
    def test_by_default_the_year_has_a_cutoff_at_the_end_of_every_even_month(self) -> None:
        plans = bimonthly_calendar(7, 2024, count=6)

        assert paris_dates(plans) == [
            date(2024, 2, 29),
            date(2024, 4, 30),
            date(2024, 6, 30),
            date(2024, 8, 31),
            date(2024, 10, 31),
            date(2024, 12, 31),
        ]

    def test_each_cutoff_has_one_project_and_one_candidate_round(self) -> None:
        plans = bimonthly_calendar(7, 2024, count=3)

        for cutoff in {plan.cutoff_at for plan in plans}:
            kinds = sorted(plan.kind for plan in plans if plan.cutoff_at == cutoff)
            assert kinds == [DossierKind.CANDIDATE, DossierKind.PROJECT]
        assert len(plans) == 6

    def test_round_ids_name_the_promotion_the_kind_and_the_cutoff_month(self) -> None:
        plans = bimonthly_calendar(7, 2024, count=2)

        assert [plan.round_id for plan in plans] == [
            "7-project-2024-02",
            "7-candidate-2024-02",
            "7-project-2024-04",
            "7-candidate-2024-04",
        ]

    def test_a_first_cutoff_mid_month_keeps_its_day_clamped_to_shorter_months(self) -> None:
        plans = bimonthly_calendar(8, 2025, first_cutoff=date(2024, 12, 30), count=3)

        assert paris_dates(plans) == [date(2024, 12, 30), date(2025, 2, 28), date(2025, 4, 30)]

    def test_cutoffs_are_2359_in_paris_stored_in_utc_in_winter_and_summer(self) -> None:
        plans = bimonthly_calendar(7, 2024, count=2)
        winter, summer = plans[0], plans[2]

        assert winter.cutoff_at == datetime(2024, 2, 29, 22, 59, tzinfo=UTC)  # CET, UTC+1
        assert summer.cutoff_at == datetime(2024, 4, 30, 21, 59, tzinfo=UTC)  # CEST, UTC+2

    def test_a_deliberation_across_the_clock_change_stays_at_2359_in_paris(self) -> None:
        [plan, _] = bimonthly_calendar(7, 2024, first_cutoff=date(2024, 3, 20), count=1)

        assert plan.deliberation_at.astimezone(PARIS) == datetime(2024, 4, 3, 23, 59, tzinfo=PARIS)
        # Summer time began on 31 March: the fortnight is an hour short in UTC.
        assert plan.deliberation_at - plan.cutoff_at == timedelta(days=14, hours=-1)

    def test_the_deliberation_delay_is_configurable(self) -> None:
        [plan, _] = bimonthly_calendar(7, 2024, count=1, deliberation_delay_days=7)

        assert plan.deliberation_at.astimezone(PARIS).date() == date(2024, 3, 7)

    def test_no_cutoff_gives_no_round(self) -> None:
        assert bimonthly_calendar(7, 2024, count=0) == []

    def test_a_negative_count_is_refused(self) -> None:
        with pytest.raises(ValueError, match="count"):
            bimonthly_calendar(7, 2024, count=-1)


class TestFirstCutoffAfter:
    @pytest.mark.parametrize(
        ("now", "first_cutoff"),
        [
            # An even month whose cut-off is still ahead: its own end.
            (datetime(2026, 2, 10, 12, 0, tzinfo=UTC), date(2026, 2, 28)),
            (datetime(2026, 2, 28, 22, 58, tzinfo=UTC), date(2026, 2, 28)),  # 23:58 in Paris
            # An even month whose cut-off has passed: the end of the next even month.
            (datetime(2026, 2, 28, 22, 59, 30, tzinfo=UTC), date(2026, 4, 30)),
            (datetime(2026, 12, 31, 22, 59, 30, tzinfo=UTC), date(2027, 2, 28)),
            # An odd month: the end of the next one.
            (datetime(2026, 3, 5, 9, 0, tzinfo=UTC), date(2026, 4, 30)),
            (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), date(2026, 12, 31)),
            # Already January in Paris, still December in UTC.
            (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 2, 28)),
        ],
    )
    def test_the_first_cutoff_is_the_end_of_the_current_or_next_even_month(
        self, now: datetime, first_cutoff: date
    ) -> None:
        assert first_cutoff_after(now) == first_cutoff
