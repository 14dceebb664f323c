"""Contract dates: French working days, the proposed start, terms, and Paris midnights."""

from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.contract.working_days import (
    easter_sunday,
    end_of_term,
    first_working_day_of_next_month,
    french_public_holidays,
    is_working_day,
    paris_date,
    paris_midnight,
    renewal_due_on,
    whole_years_between,
)


class TestPublicHolidays:
    @pytest.mark.parametrize(
        ("year", "easter"),
        [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5))],
    )
    def test_easter_sunday(self, year: int, easter: date) -> None:
        assert easter_sunday(year) == easter

    def test_the_2026_holidays_are_the_eleven_national_ones(self) -> None:
        assert sorted(french_public_holidays(2026)) == [
            date(2026, 1, 1),
            date(2026, 4, 6),  # Easter Monday
            date(2026, 5, 1),
            date(2026, 5, 8),
            date(2026, 5, 14),  # Ascension
            date(2026, 5, 25),  # Whit Monday
            date(2026, 7, 14),
            date(2026, 8, 15),
            date(2026, 11, 1),
            date(2026, 11, 11),
            date(2026, 12, 25),
        ]

    @pytest.mark.parametrize(
        ("day", "working"),
        [
            (date(2026, 4, 7), True),  # a Tuesday
            (date(2026, 4, 11), False),  # a Saturday
            (date(2026, 4, 12), False),  # a Sunday
            (date(2026, 4, 6), False),  # Easter Monday
            (date(2025, 5, 29), False),  # Ascension 2025
            (date(2025, 6, 9), False),  # Whit Monday 2025
            (date(2026, 7, 14), False),  # a Tuesday, Fête nationale
        ],
    )
    def test_working_days(self, day: date, working: bool) -> None:
        assert is_working_day(day) is working


class TestProposedStart:
    @pytest.mark.parametrize(
        ("selected_at", "start_on"),
        [
            (datetime(2026, 3, 2, 9, 30, tzinfo=UTC), date(2026, 4, 1)),  # a Wednesday
            (datetime(2024, 3, 15, 9, 0, tzinfo=UTC), date(2024, 4, 2)),  # 1st: Easter Monday
            (datetime(2026, 2, 10, 9, 0, tzinfo=UTC), date(2026, 3, 2)),  # 1st: a Sunday
            (datetime(2026, 4, 20, 9, 0, tzinfo=UTC), date(2026, 5, 4)),  # May Day, then weekend
            (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), date(2027, 1, 4)),  # New Year, weekend
            (datetime(2025, 10, 3, 9, 0, tzinfo=UTC), date(2025, 11, 3)),  # Toussaint a Saturday
        ],
    )
    def test_the_first_working_day_of_the_next_month(
        self, selected_at: datetime, start_on: date
    ) -> None:
        assert first_working_day_of_next_month(selected_at) == start_on

    def test_the_month_is_the_one_in_paris(self) -> None:
        # 22:30 UTC on 31 March is already 1 April in Paris (summer time): the next month is May.
        late_evening = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)

        assert paris_date(late_evening) == date(2026, 4, 1)
        assert first_working_day_of_next_month(late_evening) == date(2026, 5, 4)

    def test_a_naive_datetime_is_taken_as_utc(self) -> None:
        assert first_working_day_of_next_month(datetime(2026, 3, 31, 22, 30)) == date(2026, 5, 4)

    def test_the_proposed_start_is_always_a_working_day_of_the_next_month(self) -> None:
        day = datetime(2026, 1, 1, 12, tzinfo=UTC)
        for offset in range(0, 3 * 366, 7):
            selected_at = day + timedelta(days=offset)
            start_on = first_working_day_of_next_month(selected_at)
            this_month = paris_date(selected_at).replace(day=1)
            assert is_working_day(start_on)
            assert start_on > this_month and start_on.day <= 7
            assert (start_on.year * 12 + start_on.month) - (
                this_month.year * 12 + this_month.month
            ) == 1


class TestTerms:
    @pytest.mark.parametrize(
        ("start_on", "months", "end_on"),
        [
            (date(2026, 4, 1), 12, date(2027, 3, 31)),
            (date(2026, 4, 2), 10, date(2027, 2, 1)),
            (date(2027, 4, 1), 12, date(2028, 3, 31)),
            (date(2026, 1, 31), 1, date(2026, 2, 27)),  # the month is clamped, then a day less
        ],
    )
    def test_the_end_is_the_start_plus_the_term_minus_a_day(
        self, start_on: date, months: int, end_on: date
    ) -> None:
        assert end_of_term(start_on, months) == end_on

    @pytest.mark.parametrize(
        ("end_on", "opens_on"),
        [(date(2027, 3, 31), date(2027, 1, 31)), (date(2027, 4, 30), date(2027, 2, 28))],
    )
    def test_the_renewal_window_opens_two_months_before_the_end(
        self, end_on: date, opens_on: date
    ) -> None:
        assert renewal_due_on(end_on, 2) == opens_on

    def test_paris_midnight_follows_daylight_saving(self) -> None:
        assert paris_midnight(date(2026, 4, 1)) == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
        assert paris_midnight(date(2026, 1, 5)) == datetime(2026, 1, 4, 23, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("start", "end", "years"),
        [
            (date(2026, 4, 1), date(2027, 4, 1), 1),
            (date(2026, 4, 1), date(2027, 3, 31), 0),
            (date(2022, 9, 1), date(2024, 5, 1), 1),
            (date(2026, 4, 1), date(2029, 4, 1), 3),
        ],
    )
    def test_whole_years(self, start: date, end: date, years: int) -> None:
        assert whole_years_between(start, end) == years
