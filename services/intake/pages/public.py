"""The public site: the programme and how to apply, and the pages every State site has
(accessibility statement, legal notice, personal data notice)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from fastapi import Request, Response

from libs.web.pages import Pages, pages_router
from libs.web.rendering import ACCESSIBILITY_PATH, LEGAL_NOTICE_PATH, PERSONAL_DATA_PATH
from services.intake.api.dependencies import IntakeDep
from services.intake.pages.form_fields import CANDIDATE_FORM, PROJECT_FORM
from services.intake.promotion_calendar import PromotionOutlook, PromotionUnavailable
from workflows.promotion.models import RoundRef

router = pages_router()


@dataclass(frozen=True)
class LandingPromotion:
    """What the landing page says of the current promotion."""

    number: int
    seat_cap: int
    seats_taken: int
    seats_left: int
    upcoming_rounds: list[RoundRef]


def landing_promotion(outlook: PromotionOutlook, now: datetime) -> LandingPromotion:
    return LandingPromotion(
        number=outlook.number,
        seat_cap=outlook.seats.seat_cap,
        seats_taken=outlook.seats.seats_taken,
        seats_left=outlook.seats_left,
        upcoming_rounds=outlook.upcoming_rounds(now),
    )


@router.get("/", name="landing")
async def landing(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    try:
        promotion: LandingPromotion | None = landing_promotion(
            await intake.promotion_calendar.outlook(), datetime.now(UTC)
        )
    except PromotionUnavailable:
        promotion = None  # the page still says what the programme is and how to apply
    return pages.render(
        request,
        "landing.html",
        {
            "promotion": promotion,
            "candidate_form": CANDIDATE_FORM.path,
            "project_form": PROJECT_FORM.path,
        },
    )


def _contact(intake: IntakeDep) -> dict[str, str]:
    return {"contact_email": parseaddr(intake.settings.MAIL_FROM)[1]}


@router.get(ACCESSIBILITY_PATH, name="accessibility_statement")
async def accessibility_statement(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    return pages.render(request, "accessibility.html", _contact(intake))


@router.get(LEGAL_NOTICE_PATH, name="legal_notice")
async def legal_notice(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    context = {**_contact(intake), "hosting": intake.settings.LEGAL_HOSTING_PROVIDER}
    return pages.render(request, "legal_notice.html", context)


@router.get(PERSONAL_DATA_PATH, name="personal_data")
async def personal_data(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    return pages.render(request, "personal_data.html", _contact(intake))
