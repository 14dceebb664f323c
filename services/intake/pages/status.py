"""The applicant's status page (HTML, French first, then English) and its notices."""

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi.responses import HTMLResponse

from libs.messages.common import DossierKind, Language
from libs.messages.dossier_events import FINAL_STATUSES
from libs.private_pages import Missing, Notice, page_templates, private_page
from libs.wording import (
    DOSSIER_STATUS_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    Label,
    date_and_time,
    label,
)
from services.intake.schemas import DossierStatusPublic

_templates = page_templates(Path(__file__).parent / "templates")

MISSING_DOSSIER: Final = Missing(
    "Dossier introuvable", "Application not found", "Aucun dossier", "No application"
)

WITHDRAWAL_RECORDED_NOTICE: Final = Notice(
    "Votre demande de retrait est enregistrée. Le nouveau statut s'affichera ici dans quelques "
    "instants ; un courriel vous le confirmera.",
    "Your withdrawal is recorded. The new status will show here in a few moments; an e-mail "
    "will confirm it.",
)
WITHDRAWAL_UNAVAILABLE_NOTICE: Final = Notice(
    "Le retrait n'a pas pu être enregistré pour le moment. Réessayez dans quelques instants.",
    "The withdrawal could not be recorded right now. Please try again in a few moments.",
    is_error=True,
)


def withdrawal_refused_notice(status: str) -> Notice:
    named = label(DOSSIER_STATUS_LABELS, status)
    return Notice(
        f"Ce dossier ne peut plus être retiré : son statut est « {named.fr} ».",
        f"This application can no longer be withdrawn: its status is “{named.en}”.",
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


def _page(status: DossierStatusPublic, withdraw_url: str | None) -> StatusPage:
    kind = KIND_LABELS[status.kind]
    # A candidate's dossier is titled by its role; a project's by its title, as typed.
    if status.kind == DossierKind.CANDIDATE:
        title = label(ROLE_LABELS, status.title)
    else:
        title = Label(status.title, status.title)
    current = label(DOSSIER_STATUS_LABELS, status.status)
    return StatusPage(
        dossier_id=str(status.dossier_id),
        kind_fr=kind.fr,
        kind_en=kind.en,
        title_fr=title.fr,
        title_en=title.en,
        status_fr=current.fr,
        status_en=current.en,
        updated_at_iso=status.updated_at.isoformat(),
        updated_at_fr=date_and_time(Language.FR, status.updated_at),
        updated_at_en=date_and_time(Language.EN, status.updated_at),
        timeline=[
            TimelineLine(
                at_iso=entry.at.isoformat(),
                at_fr=date_and_time(Language.FR, entry.at),
                at_en=date_and_time(Language.EN, entry.at),
                status_fr=label(DOSSIER_STATUS_LABELS, entry.status).fr,
                status_en=label(DOSSIER_STATUS_LABELS, entry.status).en,
                note=entry.note,
            )
            for entry in status.timeline
        ],
        withdraw_url=None if status.status in FINAL_STATUSES else withdraw_url,
    )


def render_status_page(
    status: DossierStatusPublic, *, withdraw_url: str | None = None, notice: Notice | None = None
) -> str:
    """The page; with ``withdraw_url``, a withdrawal form while the status is not final."""
    page = _page(status, withdraw_url)
    return _templates.get_template("status.html").render(page=page, notice=notice)


def status_page(
    status: DossierStatusPublic,
    *,
    withdraw_url: str | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page as the answer to a request (private-page headers included)."""
    return private_page(
        render_status_page(status, withdraw_url=withdraw_url, notice=notice),
        status_code=status_code,
        headers=headers,
    )
