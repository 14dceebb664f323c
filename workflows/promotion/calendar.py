"""The default calendar of a promotion: one project and one candidate round every two months.

Pure functions (no clock: callers pass ``now``). Cut-offs are 23:59 in Paris, the programme's
time zone, stored in UTC; the conversion goes through zoneinfo, so daylight saving is right.
"""

import calendar as month_calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from libs.messages.common import DossierKind
from workflows.promotion.models import RoundPlan

PARIS = ZoneInfo("Europe/Paris")
CUTOFF_LOCAL_TIME = time(23, 59)
"""Cut-offs and deliberations fall at the end of their day, Paris time."""
ROUND_KINDS = (DossierKind.PROJECT, DossierKind.CANDIDATE)
MONTHS_BETWEEN_ROUNDS = 2
DEFAULT_DELIBERATION_DELAY_DAYS = 14


def bimonthly_calendar(
    promotion_number: int,
    year: int,
    *,
    first_cutoff: date | None = None,
    count: int,
    deliberation_delay_days: int = DEFAULT_DELIBERATION_DELAY_DAYS,
) -> list[RoundPlan]:
    """``count`` cut-off dates two months apart, each with one project and one candidate round.

    The first cut-off is ``first_cutoff`` (default: the end of February of ``year``). When it
    is the last day of its month, every cut-off is the last day of its month (Feb 28 → Apr 30);
    otherwise the day of the month is kept (clamped to shorter months). Each round deliberates
    ``deliberation_delay_days`` later, at the same Paris time. Round ids read
    ``{promotion}-{kind}-{cut-off year-month}``, e.g. ``7-project-2024-04``.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if deliberation_delay_days < 0:
        raise ValueError("deliberation_delay_days must not be negative")
    start = first_cutoff or last_day_of_month(year, 2)
    keep_month_end = start == last_day_of_month(start.year, start.month)
    plans = []
    for index in range(count):
        cutoff_day = add_months(start, MONTHS_BETWEEN_ROUNDS * index, keep_month_end=keep_month_end)
        deliberation_day = cutoff_day + timedelta(days=deliberation_delay_days)
        for kind in ROUND_KINDS:
            plans.append(
                RoundPlan(
                    round_id=f"{promotion_number}-{kind.value}-{cutoff_day:%Y-%m}",
                    kind=kind,
                    cutoff_at=paris_end_of_day_in_utc(cutoff_day),
                    deliberation_at=paris_end_of_day_in_utc(deliberation_day),
                )
            )
    return plans


def first_cutoff_after(now: datetime) -> date:
    """The seeding rule: the end of the current month if it is even (Feb, Apr, … Dec) and its
    cut-off is still ahead of ``now``, otherwise the end of the next even month.

    So the seeded calendar lines up with the default year (cut-offs at the end of every even
    month), and its first round is always still open.
    """
    local_today = now.astimezone(PARIS).date()
    year, month = local_today.year, local_today.month
    if month % 2 == 0:
        this_month_end = last_day_of_month(year, month)
        if paris_end_of_day_in_utc(this_month_end) > now:
            return this_month_end
    month += 2 if month % 2 == 0 else 1
    if month > 12:
        year, month = year + 1, month - 12
    return last_day_of_month(year, month)


def paris_end_of_day_in_utc(day: date) -> datetime:
    return datetime.combine(day, CUTOFF_LOCAL_TIME, tzinfo=PARIS).astimezone(UTC)


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, month_calendar.monthrange(year, month)[1])


def add_months(day: date, months: int, *, keep_month_end: bool) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    month_end = last_day_of_month(year, month)
    return month_end if keep_month_end else date(year, month, min(day.day, month_end.day))
