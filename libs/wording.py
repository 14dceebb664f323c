"""How dates and amounts read for applicants, in French and English (dates in Paris time).

Shared by the e-mails, the applicant's status page and the contract documents, so all say the
same thing.
"""

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from libs.messages.common import Language

PARIS = ZoneInfo("Europe/Paris")
"""The programme's time zone: every date in an e-mail is a date in Paris."""

MONTHS: Mapping[Language, tuple[str, ...]] = {
    Language.FR: (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    Language.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def long_date(language: Language, day: date) -> str:
    """``1er mars 2025`` / ``1 March 2025``, as public-service letters write dates."""
    month = MONTHS[language][day.month - 1]
    if language == Language.FR:
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def date_and_time(language: Language, moment: datetime) -> str:
    """A moment as read in Paris, e.g. ``12 mars 2025 à 14 h 00 (heure de Paris)``."""
    local = in_paris(moment)
    if language == Language.FR:
        return f"{long_date(language, local.date())} à {local:%H} h {local:%M} (heure de Paris)"
    return f"{long_date(language, local.date())} at {local:%H:%M} (Paris time)"


def in_paris(moment: datetime) -> datetime:
    # A moment without a time zone is taken as already in Paris time (a date typed by staff).
    return moment.astimezone(PARIS) if moment.tzinfo else moment.replace(tzinfo=PARIS)


def parse_day(text: str) -> date | None:
    """The day in Paris of an ISO date or date-time; None when the text is not one."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return in_paris(moment).date()


NBSP = "\u00a0"
"""Between the digits of an amount and before "€" or "%" in French: the amount never wraps."""

_CENTS = Decimal("0.01")


def amount_in_euros(language: Language, amount: Decimal, *, space: str = NBSP) -> str:
    """``4 250,00 €`` in French (``space`` between groups and before €), ``€4,250.00`` in
    English; to the cent, half up."""
    english = format(amount.quantize(_CENTS, rounding=ROUND_HALF_UP), ",.2f")
    if language == Language.FR:
        # Swap the separators through a placeholder: "4,250.00" → "4 250,00".
        french = english.replace(",", "_").replace(".", ",").replace("_", space)
        return f"{french}{space}€"
    return f"€{english}"


def integer(language: Language, value: int, *, space: str = NBSP) -> str:
    """``2 000`` in French (``space`` between groups), ``2,000`` in English."""
    english = format(value, ",d")
    return english.replace(",", space) if language == Language.FR else english


def percent(language: Language, value: Decimal, *, space: str = NBSP) -> str:
    """``6 %`` / ``6%``; decimals only when there are some (``6,5 %`` / ``6.5%``)."""
    digits = format(value.normalize(), "f")
    if language == Language.FR:
        return f"{digits.replace('.', ',')}{space}%"
    return f"{digits}%"


def months(language: Language, count: int) -> str:
    if language == Language.FR:
        return f"{count} mois"
    return f"{count} month" if count == 1 else f"{count} months"
