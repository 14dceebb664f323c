"""How the platform's facts read for people, in French and English: the names of roles, dossier
kinds and statuses, contract statuses, dates (in Paris time), amounts and durations.

The one home of these words: e-mails, applicant pages and contract documents all use it, so
all say the same thing. A name starts with a capital, as a label or a heading shows it;
``in_sentence=True`` gives it for the middle of a sentence ("en tant que directeur ou
directrice technique").
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from libs.messages.applications import AdministrationKind, BetaGouvPhase
from libs.messages.common import DossierKind, Language, Role
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import DossierStatus


@dataclass(frozen=True)
class Label:
    """One name in French and in English."""

    fr: str
    en: str

    def in_(self, language: Language, *, in_sentence: bool = False) -> str:
        text = self.fr if language == Language.FR else self.en
        return text[:1].lower() + text[1:] if in_sentence else text


ROLE_LABELS: Mapping[str, Label] = {
    Role.PRODUCT_DIRECTOR: Label("Directeur ou directrice de produit", "Product director"),
    Role.TECHNICAL_DIRECTOR: Label("Directeur ou directrice technique", "Technical director"),
}

ADMINISTRATION_KIND_LABELS: Mapping[str, Label] = {
    AdministrationKind.CENTRAL: Label("Administration centrale", "Central administration"),
    AdministrationKind.DECONCENTRATED: Label("Service déconcentré", "Deconcentrated service"),
    AdministrationKind.OPERATOR: Label("Opérateur de l’État", "State operator"),
}

CRITERION_LABELS: Mapping[str, Label] = {
    # Projects (the eligibility criteria of the programme's call for projects).
    "proven_problem": Label("Problème avéré", "Proven problem"),
    "major_problem": Label("Problème d’ampleur", "Major problem"),
    "actionable_problem": Label("Problème sur lequel agir", "Actionable problem"),
    "product_approach_fit": Label("Adapté à l’approche produit", "Fits the product approach"),
    "sponsorship": Label("Portage à haut niveau", "High-level sponsorship"),
    "autonomy": Label("Autonomie de l’équipe", "Team autonomy"),
    "priority_policy": Label("Politique publique prioritaire", "Priority public policy"),
    "roadmap": Label("Feuille de route et résultats mesurables", "Roadmap and measurable results"),
    "entrepreneurial_ambition": Label("Ambition entrepreneuriale", "Entrepreneurial ambition"),
    # Candidates.
    "entrepreneurial_track_record": Label(
        "Parcours entrepreneurial", "Entrepreneurial track record"
    ),
    "product_or_tech_leadership": Label(
        "Leadership produit ou technique", "Product or technical leadership"
    ),
    "public_interest_motivation": Label(
        "Motivation pour l’intérêt général", "Public-interest motivation"
    ),
}

SCORE_LABELS: Mapping[int, Label] = {
    0: Label("0 – insuffisant", "0 – insufficient"),
    1: Label("1 – faible", "1 – weak"),
    2: Label("2 – satisfaisant", "2 – satisfactory"),
    3: Label("3 – excellent", "3 – excellent"),
}
"""The scorecard's scale (services/selection/scorecards.py: 0 to 3)."""

PAY_BAND_LABELS: Mapping[str, Label] = {
    "up_to_10_years": Label("Jusqu’à 10 ans d’expérience", "Up to 10 years of experience"),
    "over_10_years": Label("Plus de 10 ans d’expérience", "Over 10 years of experience"),
}
"""The bands of workflows/contract/pay_policies/ (a band not listed shows its code)."""

KIND_LABELS: Mapping[str, Label] = {
    DossierKind.CANDIDATE: Label("Candidature", "Candidate application"),
    DossierKind.PROJECT: Label("Projet", "Project"),
}

BETA_GOUV_PHASE_LABELS: Mapping[str, Label] = {
    BetaGouvPhase.INVESTIGATION: Label("Investigation", "Investigation"),
    BetaGouvPhase.CONSTRUCTION: Label("Construction", "Construction"),
    BetaGouvPhase.ACCELERATION: Label("Accélération", "Acceleration"),
    BetaGouvPhase.NONE: Label(
        "Pas encore suivi par beta.gouv.fr", "Not yet followed by beta.gouv.fr"
    ),
}

LANGUAGE_LABELS: Mapping[str, Label] = {
    Language.FR: Label("Français", "French"),
    Language.EN: Label("Anglais", "English"),
}

DOSSIER_STATUS_LABELS: Mapping[str, Label] = {
    DossierStatus.RECEIVED: Label("Dossier reçu", "Application received"),
    DossierStatus.WITHDRAWN: Label("Dossier retiré", "Application withdrawn"),
    DossierStatus.IN_EVALUATION: Label("En cours d'évaluation", "Being evaluated"),
    DossierStatus.INVESTIGATION_REQUESTED: Label("Instruction demandée", "Investigation requested"),
    DossierStatus.ELIGIBLE: Label("Éligible", "Eligible"),
    DossierStatus.INELIGIBLE: Label("Non éligible", "Not eligible"),
    DossierStatus.SCHEDULED: Label("Inscrit à une session de sélection", "Scheduled for selection"),
    DossierStatus.DEFENDED: Label("Projet présenté au jury", "Presented to the jury"),
    DossierStatus.NOT_SELECTED: Label("Non retenu", "Not selected"),
    DossierStatus.PARTNERSHIP_SIGNED: Label("Convention signée", "Partnership signed"),
    DossierStatus.IN_REVIEW: Label("Candidature en cours d'examen", "Application under review"),
    DossierStatus.INTERVIEW: Label("Entretien", "Interview"),
    DossierStatus.REJECTED: Label("Candidature non retenue", "Application not retained"),
    DossierStatus.IN_POOL: Label("Dans le vivier", "In the talent pool"),
    DossierStatus.MATCHED: Label("Mise en relation avec un projet", "Matched with a project"),
    DossierStatus.SELECTED: Label("Retenu", "Selected"),
}

CONTRACT_STATUS_LABELS: Mapping[str, Label] = {
    ContractStatus.DRAFTED: Label("En préparation", "Being drafted"),
    ContractStatus.OFFER_SENT: Label("Offre envoyée", "Offer sent"),
    ContractStatus.ACCEPTED: Label(
        "Offre acceptée, en attente de contre-signature",
        "Offer accepted, awaiting countersignature",
    ),
    ContractStatus.SIGNED: Label("Contrat signé", "Contract signed"),
    ContractStatus.ACTIVE: Label("En cours", "Active"),
    ContractStatus.RENEWAL_DUE: Label("Renouvellement à décider", "Renewal to be decided"),
    ContractStatus.RENEWED: Label("Renouvelé", "Renewed"),
    ContractStatus.ENDED: Label("Terminé", "Ended"),
    ContractStatus.DECLINED: Label("Offre déclinée", "Offer declined"),
    ContractStatus.OFFER_EXPIRED: Label("Offre expirée", "Offer expired"),
}


def label(labels: Mapping[str, Label], code: str) -> Label:
    """The label of ``code`` (an enum value) in ``labels``; a code added upstream before its
    name here reads as itself: better its code than no e-mail or page."""
    return labels.get(code, Label(code, code))


def role_label(language: Language, role: str, *, in_sentence: bool = False) -> str:
    return label(ROLE_LABELS, role).in_(language, in_sentence=in_sentence)


def pay_band_label(language: Language, band: str) -> str:
    return label(PAY_BAND_LABELS, band).in_(language)


def administration_kind_label(language: Language, kind: str) -> str:
    return label(ADMINISTRATION_KIND_LABELS, kind).in_(language)


def kind_label(language: Language, kind: str, *, in_sentence: bool = False) -> str:
    return label(KIND_LABELS, kind).in_(language, in_sentence=in_sentence)


def dossier_status_label(language: Language, status: str, *, in_sentence: bool = False) -> str:
    return label(DOSSIER_STATUS_LABELS, status).in_(language, in_sentence=in_sentence)


def contract_status_label(language: Language, status: str) -> str:
    return label(CONTRACT_STATUS_LABELS, status).in_(language)


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


def month_and_year(language: Language, month: str) -> str:
    """``mars 2026`` / ``March 2026`` for ``2026-03``."""
    year, number = month.split("-")
    return f"{MONTHS[language][int(number) - 1]} {year}"


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
