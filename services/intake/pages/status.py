"""The applicant's status page, in the DSFR layout, behind the private link: the status as a
badge, a stepper showing where the dossier stands on its kind's way forward
(:data:`workflows.dossier.rules.PROGRESS`), what comes next and when (the next round's
cut-off), the timeline, and the withdrawal behind a confirmation step (a ``<details>``: it
opens without JavaScript) in a CSRF-protected form.

Answered at ``GET /api/v1/dossiers/{id}`` by content negotiation
(:mod:`services.intake.api.dossiers`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from fastapi import Request
from fastapi.responses import HTMLResponse

from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS, Missing, Notice
from libs.web.rendering import PageRenderer
from libs.wording import DOSSIER_STATUS_LABELS, KIND_LABELS, ROLE_LABELS, Label, label
from services.intake.promotion_calendar import PromotionCalendar, next_round
from services.intake.schemas import DossierStatusPublic
from workflows.dossier.rules import OPTIONAL_STAGES, PROGRESS
from workflows.promotion.models import RoundRef

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

BADGES: Final[dict[str, str]] = {
    DossierStatus.RECEIVED: "new",
    DossierStatus.SELECTED: "success",
    DossierStatus.PARTNERSHIP_SIGNED: "success",
    DossierStatus.INELIGIBLE: "error",
    DossierStatus.NOT_SELECTED: "error",
    DossierStatus.REJECTED: "error",
    DossierStatus.WITHDRAWN: "",
}
"""The DSFR badge kind of a status; "info" for the stages in between."""

WAITS_FOR_ROUND: Final = frozenset(
    {
        DossierStatus.RECEIVED,
        DossierStatus.IN_EVALUATION,
        DossierStatus.INVESTIGATION_REQUESTED,
        DossierStatus.ELIGIBLE,
        DossierStatus.IN_REVIEW,
        DossierStatus.INTERVIEW,
        DossierStatus.IN_POOL,
    }
)
"""Stages before a round: the page says when the next one closes."""

NEXT_STEPS: Final[dict[tuple[DossierKind, str], Label]] = {
    (DossierKind.PROJECT, DossierStatus.RECEIVED): Label(
        "L’équipe du programme va commencer l’évaluation de votre projet.",
        "The programme team will start evaluating your project.",
    ),
    (DossierKind.PROJECT, DossierStatus.IN_EVALUATION): Label(
        "L’équipe vérifie que le projet répond aux critères du programme ; une instruction "
        "avec beta.gouv.fr peut vous être proposée.",
        "The team checks the project against the programme's criteria; an investigation with "
        "beta.gouv.fr may be proposed to you.",
    ),
    (DossierKind.PROJECT, DossierStatus.INVESTIGATION_REQUESTED): Label(
        "beta.gouv.fr mène la phase d’instruction avec vous ; ses conclusions décident de "
        "l’éligibilité du projet.",
        "beta.gouv.fr runs the investigation phase with you; its conclusions decide whether "
        "the project is eligible.",
    ),
    (DossierKind.PROJECT, DossierStatus.ELIGIBLE): Label(
        "Votre projet sera inscrit à la prochaine session de sélection.",
        "Your project will be scheduled for the next selection round.",
    ),
    (DossierKind.PROJECT, DossierStatus.SCHEDULED): Label(
        "Vous présenterez votre projet au jury de la session.",
        "You will present your project to the round's jury.",
    ),
    (DossierKind.PROJECT, DossierStatus.DEFENDED): Label(
        "Le jury délibère ; sa décision vous sera envoyée par courriel.",
        "The jury deliberates; its decision will be e-mailed to you.",
    ),
    (DossierKind.PROJECT, DossierStatus.SELECTED): Label(
        "La convention de partenariat est préparée avec votre administration.",
        "The partnership agreement is being prepared with your administration.",
    ),
    (DossierKind.PROJECT, DossierStatus.PARTNERSHIP_SIGNED): Label(
        "Le programme recrute les EIG qui rejoindront votre projet.",
        "The programme recruits the EIG who will join your project.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.RECEIVED): Label(
        "L’équipe du programme va examiner votre candidature.",
        "The programme team will review your application.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.IN_REVIEW): Label(
        "Si votre candidature est retenue, un entretien vous sera proposé.",
        "If your application is retained, you will be offered an interview.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.INTERVIEW): Label(
        "Après l’entretien, vous saurez si vous rejoignez le vivier des candidats.",
        "After the interview, you will know whether you join the talent pool.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.IN_POOL): Label(
        "Le programme vous proposera un projet qui correspond à votre profil.",
        "The programme will propose a project that fits your profile.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.MATCHED): Label(
        "Vous rencontrez l’équipe du projet ; le jury décide ensuite.",
        "You meet the project's team; the jury decides next.",
    ),
    (DossierKind.CANDIDATE, DossierStatus.SELECTED): Label(
        "Votre offre de contrat vous sera envoyée par courriel.",
        "Your contract offer will be e-mailed to you.",
    ),
}
"""What comes next after each stage; final statuses have none."""


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
class Step:
    """The dossier's place on its kind's way forward (a DSFR stepper)."""

    current: int
    total: int
    title: Label
    next_title: Label | None


def steps(kind: DossierKind, status: str, reached: list[str]) -> Step:
    """Where ``status`` stands on ``kind``'s :data:`PROGRESS`; an optional stage counts only
    once reached. A final status stands where the dossier was when it stopped (the last stage
    of the way it reached), with no next step."""
    path: list[str] = [
        s for s in PROGRESS[kind] if s not in OPTIONAL_STAGES or s in reached or s == status
    ]
    if status in path:
        at = path.index(status)
    else:
        on_path = [path.index(s) for s in reached if s in path]
        at = max(on_path, default=0)
    final = status in FINAL_STATUSES
    following = None if final or at + 1 >= len(path) else path[at + 1]
    return Step(
        current=at + 1,
        total=len(path),
        title=label(DOSSIER_STATUS_LABELS, status if final else path[at]),
        next_title=label(DOSSIER_STATUS_LABELS, following) if following else None,
    )


@dataclass(frozen=True)
class StatusPage:
    status: DossierStatusPublic
    kind: Label
    title: Label
    status_label: Label
    badge: str
    step: Step
    next_step: Label | None
    next_round: RoundRef | None
    withdraw_url: str | None
    """Where the withdrawal form posts; None when the dossier can no longer be withdrawn."""


def status_page_model(
    status: DossierStatusPublic, *, withdraw_url: str | None, next_round: RoundRef | None
) -> StatusPage:
    # A candidate's dossier is titled by its role; a project's by its title, as typed.
    if status.kind == DossierKind.CANDIDATE:
        title = label(ROLE_LABELS, status.title)
    else:
        title = Label(status.title, status.title)
    final = status.status in FINAL_STATUSES
    return StatusPage(
        status=status,
        kind=KIND_LABELS[status.kind],
        title=title,
        status_label=label(DOSSIER_STATUS_LABELS, status.status),
        badge=BADGES.get(status.status, "info"),
        step=steps(status.kind, status.status, [entry.status for entry in status.timeline]),
        next_step=NEXT_STEPS.get((status.kind, status.status)),
        next_round=next_round if status.status in WAITS_FOR_ROUND else None,
        withdraw_url=None if final else withdraw_url,
    )


async def status_page(
    request: Request,
    pages: PageRenderer,
    calendar: PromotionCalendar,
    status: DossierStatusPublic,
    *,
    withdraw_url: str | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page as the answer to a request, with the private-page headers; with
    ``withdraw_url``, the withdrawal form while the status is not final."""
    upcoming = None
    if status.status in WAITS_FOR_ROUND:
        upcoming = await next_round(calendar, status.kind, datetime.now(UTC))
    page = status_page_model(status, withdraw_url=withdraw_url, next_round=upcoming)
    return pages.render(
        request,
        "status.html",
        {"page": page, "notice": notice, "labels": DOSSIER_STATUS_LABELS, "label": label},
        status_code=status_code,
        headers={**PRIVATE_PAGE_HEADERS, **(headers or {})},
    )
