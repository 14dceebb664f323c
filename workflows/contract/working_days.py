"""Contract dates: French working days, terms, and the Paris midnights the timers fire at.

Pure functions, no clock (callers pass ``now``): safe inside the workflow sandbox. Public
holidays are the national ones (fixed dates, Easter Monday, Ascension, Whit Monday); the extra
days of Alsace-Moselle are not counted, the programme being national.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from workflows.promotion.calendar import PARIS, add_months

SATURDAY = 5
FIXED_HOLIDAYS = (
    (1, 1),  # Jour de l'an
    (5, 1),  # Fête du travail
    (5, 8),  # Victoire 1945
    (7, 14),  # Fête nationale
    (8, 15),  # Assomption
    (11, 1),  # Toussaint
    (11, 11),  # Armistice
    (12, 25),  # Noël
)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def french_public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    movable = {
        easter + timedelta(days=1),  # Lundi de Pâques
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # Lundi de Pentecôte
    }
    return frozenset({date(year, month, day) for month, day in FIXED_HOLIDAYS} | movable)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a French public holiday."""
    return day.weekday() < SATURDAY and day not in french_public_holidays(day.year)


def paris_date(moment: datetime) -> date:
    """The calendar day in Paris at ``moment`` (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).date()


def paris_midnight(day: date) -> datetime:
    """00:00 in Paris on ``day``, in UTC (daylight saving applied)."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def first_working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def first_working_day_of_next_month(moment: datetime) -> date:
    """The proposed start of a contract: the first working day of the month after ``moment``
    (the month as seen in Paris)."""
    today = paris_date(moment)
    first_of_next_month = add_months(today.replace(day=1), 1, keep_month_end=False)
    return first_working_day_on_or_after(first_of_next_month)


def end_of_term(start_on: date, term_months: int) -> date:
    """The last day of a term: ``start_on`` plus ``term_months`` months, minus one day."""
    return add_months(start_on, term_months, keep_month_end=False) - timedelta(days=1)


def renewal_due_on(end_on: date, notice_months: int) -> date:
    """The day the renewal window opens: ``notice_months`` before the end of the term."""
    return add_months(end_on, -notice_months, keep_month_end=False)


def whole_years_between(start: date, end: date) -> int:
    """Complete years from ``start`` to ``end`` (0 if ``end`` is not a year after)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)
