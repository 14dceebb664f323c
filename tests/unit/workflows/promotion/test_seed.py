"""What the current promotion is seeded with: settings, and a year of rounds from now."""

from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.promotion.seed import current_promotion_input
from workflows.settings import WorkflowsSettings

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> WorkflowsSettings:
    for name in ("CURRENT_PROMOTION_NUMBER", "CURRENT_PROMOTION_YEAR", "PROMOTION_SEAT_CAP"):
        monkeypatch.delenv(name, raising=False)
    return WorkflowsSettings(_env_file=None)


class TestCurrentPromotion:
    def test_the_defaults_are_the_seventh_promotion_of_this_year_with_thirty_seats(
        self, settings: WorkflowsSettings
    ) -> None:
        promotion = current_promotion_input(settings, NOW)

        assert promotion.number == 7
        assert promotion.year == date.today().year
        assert promotion.seat_cap == 30

    def test_settings_choose_the_promotion(self) -> None:
        settings = WorkflowsSettings(
            _env_file=None,
            CURRENT_PROMOTION_NUMBER=8,
            CURRENT_PROMOTION_YEAR=2027,
            PROMOTION_SEAT_CAP=25,
        )

        promotion = current_promotion_input(settings, NOW)

        assert (promotion.number, promotion.year, promotion.seat_cap) == (8, 2027, 25)
        assert all(plan.round_id.startswith("8-") for plan in promotion.rounds)

    def test_the_calendar_covers_the_next_twelve_months_with_open_rounds(
        self, settings: WorkflowsSettings
    ) -> None:
        promotion = current_promotion_input(settings, NOW)

        cutoffs = sorted({plan.cutoff_at for plan in promotion.rounds})
        assert len(promotion.rounds) == 12
        assert len(cutoffs) == 6
        assert cutoffs[0] > NOW
        assert cutoffs[-1] < NOW + timedelta(days=366)
        assert cutoffs[0].date() == date(2026, 4, 30)
