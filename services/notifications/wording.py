"""Domain: how dossier facts read in each language (roles, kinds, statuses, dates)."""

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from libs.messages.common import DossierKind, Language, Role
from libs.messages.dossier_events import DossierStatus

PARIS = ZoneInfo("Europe/Paris")
"""The programme's time zone: every date in an e-mail is a date in Paris."""

ROLE_LABELS: Mapping[Language, Mapping[Role, str]] = {
    Language.FR: {
        Role.PRODUCT_DIRECTOR: "directeur·rice produit",
        Role.TECHNICAL_DIRECTOR: "directeur·rice technique",
    },
    Language.EN: {
        Role.PRODUCT_DIRECTOR: "product director",
        Role.TECHNICAL_DIRECTOR: "technical director",
    },
}

KIND_LABELS: Mapping[Language, Mapping[DossierKind, str]] = {
    Language.FR: {DossierKind.CANDIDATE: "candidature", DossierKind.PROJECT: "projet"},
    Language.EN: {DossierKind.CANDIDATE: "candidate application", DossierKind.PROJECT: "project"},
}

STATUS_LABELS: Mapping[Language, Mapping[DossierStatus, str]] = {
    Language.FR: {
        DossierStatus.RECEIVED: "reçu",
        DossierStatus.WITHDRAWN: "retiré",
        DossierStatus.IN_EVALUATION: "en évaluation",
        DossierStatus.INVESTIGATION_REQUESTED: "en investigation",
        DossierStatus.ELIGIBLE: "éligible",
        DossierStatus.INELIGIBLE: "non éligible",
        DossierStatus.SCHEDULED: "inscrit à une session de sélection",
        DossierStatus.DEFENDED: "soutenu devant le jury",
        DossierStatus.NOT_SELECTED: "non retenu",
        DossierStatus.PARTNERSHIP_SIGNED: "convention de partenariat signée",
        DossierStatus.IN_REVIEW: "en cours d'examen",
        DossierStatus.INTERVIEW: "en entretien",
        DossierStatus.REJECTED: "non retenu",
        DossierStatus.IN_POOL: "dans le vivier",
        DossierStatus.MATCHED: "en entretien commun avec un projet",
        DossierStatus.SELECTED: "retenu",
    },
    Language.EN: {
        DossierStatus.RECEIVED: "received",
        DossierStatus.WITHDRAWN: "withdrawn",
        DossierStatus.IN_EVALUATION: "in evaluation",
        DossierStatus.INVESTIGATION_REQUESTED: "under investigation",
        DossierStatus.ELIGIBLE: "eligible",
        DossierStatus.INELIGIBLE: "ineligible",
        DossierStatus.SCHEDULED: "scheduled for a selection round",
        DossierStatus.DEFENDED: "defended before the jury",
        DossierStatus.NOT_SELECTED: "not selected",
        DossierStatus.PARTNERSHIP_SIGNED: "partnership agreement signed",
        DossierStatus.IN_REVIEW: "under review",
        DossierStatus.INTERVIEW: "interview",
        DossierStatus.REJECTED: "rejected",
        DossierStatus.IN_POOL: "in the talent pool",
        DossierStatus.MATCHED: "joint interview with a project",
        DossierStatus.SELECTED: "selected",
    },
}

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


def role_label(language: Language, role: str) -> str:
    try:
        return ROLE_LABELS[language][Role(role)]
    except ValueError:
        # A role added upstream before its label here: better its code than no e-mail.
        return role


def status_label(language: Language, status: DossierStatus) -> str:
    return STATUS_LABELS[language].get(status, status.value)


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
