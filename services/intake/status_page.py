"""The applicant's status page (HTML, French first, then English)."""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from libs.messages.common import DossierKind, Language, Role
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.private_pages import Notice as Notice
from libs.wording import date_and_time
from services.intake.schemas import DossierStatusPublic

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

STATUS_LABELS: dict[str, tuple[str, str]] = {
    DossierStatus.RECEIVED: ("Dossier reçu", "Application received"),
    DossierStatus.WITHDRAWN: ("Dossier retiré", "Application withdrawn"),
    DossierStatus.IN_EVALUATION: ("En cours d'évaluation", "Being evaluated"),
    DossierStatus.INVESTIGATION_REQUESTED: ("Instruction demandée", "Investigation requested"),
    DossierStatus.ELIGIBLE: ("Éligible", "Eligible"),
    DossierStatus.INELIGIBLE: ("Non éligible", "Not eligible"),
    DossierStatus.SCHEDULED: ("Inscrit à une session de sélection", "Scheduled for selection"),
    DossierStatus.DEFENDED: ("Projet présenté au jury", "Presented to the jury"),
    DossierStatus.NOT_SELECTED: ("Non retenu", "Not selected"),
    DossierStatus.PARTNERSHIP_SIGNED: ("Convention signée", "Partnership signed"),
    DossierStatus.IN_REVIEW: ("Candidature en cours d'examen", "Application under review"),
    DossierStatus.INTERVIEW: ("Entretien", "Interview"),
    DossierStatus.REJECTED: ("Candidature non retenue", "Application not retained"),
    DossierStatus.IN_POOL: ("Dans le vivier", "In the talent pool"),
    DossierStatus.MATCHED: ("Mise en relation avec un projet", "Matched with a project"),
    DossierStatus.SELECTED: ("Retenu", "Selected"),
}
"""French and English names of each status; a status added later shows its code until named."""

KIND_LABELS: dict[DossierKind, tuple[str, str]] = {
    DossierKind.CANDIDATE: ("Candidature", "Candidate application"),
    DossierKind.PROJECT: ("Projet", "Project"),
}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    Role.PRODUCT_DIRECTOR.value: ("Directeur ou directrice de produit", "Product director"),
    Role.TECHNICAL_DIRECTOR.value: ("Directeur ou directrice technique", "Technical director"),
}


def _status_labels(status: str) -> tuple[str, str]:
    return STATUS_LABELS.get(status, (status, status))


WITHDRAWAL_RECORDED_NOTICE = Notice(
    "Votre demande de retrait est enregistrée. Le nouveau statut s'affichera ici dans quelques "
    "instants ; un courriel vous le confirmera.",
    "Your withdrawal is recorded. The new status will show here in a few moments; an e-mail "
    "will confirm it.",
)
WITHDRAWAL_UNAVAILABLE_NOTICE = Notice(
    "Le retrait n'a pas pu être enregistré pour le moment. Réessayez dans quelques instants.",
    "The withdrawal could not be recorded right now. Please try again in a few moments.",
    is_error=True,
)


def withdrawal_refused_notice(status: str) -> Notice:
    status_fr, status_en = _status_labels(status)
    return Notice(
        f"Ce dossier ne peut plus être retiré : son statut est « {status_fr} ».",
        f"This application can no longer be withdrawn: its status is “{status_en}”.",
        is_error=True,
    )


def withdrawal_failed_notice(reason: str) -> Notice:
    return Notice(
        f"Le retrait a été refusé : {reason}", f"The withdrawal was refused: {reason}", True
    )


@dataclass(frozen=True)
class TimelineLine:
    at_iso: str
    at_fr: str
    at_en: str
    status_fr: str
    status_en: str
    note: str


@dataclass(frozen=True)
class StatusPage:
    dossier_id: str
    kind_fr: str
    kind_en: str
    title_fr: str
    title_en: str
    status_fr: str
    status_en: str
    updated_at_iso: str
    updated_at_fr: str
    updated_at_en: str
    timeline: list[TimelineLine]
    withdraw_url: str | None
    """Where the withdrawal form posts; None when the dossier can no longer be withdrawn."""
    notice: Notice | None


def _page(
    status: DossierStatusPublic, withdraw_url: str | None, notice: Notice | None
) -> StatusPage:
    kind_fr, kind_en = KIND_LABELS[status.kind]
    if status.kind == DossierKind.CANDIDATE:
        title_fr, title_en = ROLE_LABELS.get(status.title, (status.title, status.title))
    else:
        title_fr = title_en = status.title
    status_fr, status_en = _status_labels(status.status)
    return StatusPage(
        dossier_id=str(status.dossier_id),
        kind_fr=kind_fr,
        kind_en=kind_en,
        title_fr=title_fr,
        title_en=title_en,
        status_fr=status_fr,
        status_en=status_en,
        updated_at_iso=status.updated_at.isoformat(),
        updated_at_fr=date_and_time(Language.FR, status.updated_at),
        updated_at_en=date_and_time(Language.EN, status.updated_at),
        timeline=[
            TimelineLine(
                at_iso=entry.at.isoformat(),
                at_fr=date_and_time(Language.FR, entry.at),
                at_en=date_and_time(Language.EN, entry.at),
                status_fr=_status_labels(entry.status)[0],
                status_en=_status_labels(entry.status)[1],
                note=entry.note,
            )
            for entry in status.timeline
        ],
        withdraw_url=None if status.status in FINAL_STATUSES else withdraw_url,
        notice=notice,
    )


def render_status_page(
    status: DossierStatusPublic, *, withdraw_url: str | None = None, notice: Notice | None = None
) -> str:
    """The page; with ``withdraw_url``, a withdrawal form while the status is not final."""
    page = _page(status, withdraw_url, notice)
    return _templates.get_template("status.html").render(page=page)


def render_not_found_page() -> str:
    return _templates.get_template("not_found.html").render()
