"""Intake with its public pages, the promotion calendar faked, for the pages' tests (over ASGI
here, served to Chromium in the integration suite)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import SQLModel

from libs.messages.common import DossierKind
from services.intake.bootstrap import Intake, bootstrap
from services.intake.promotion_calendar import PromotionOutlook, PromotionUnavailable
from tests.unit.services.intake.conftest import offline_settings
from workflows.dossier.client import DossierWorkflows
from workflows.promotion.models import RoundRef, RoundState, SeatsSummary

HOSTING = "Hébergeur de test SAS, 1 rue de l’Exemple, 75000 Paris"


class InMemoryPromotionCalendar:
    """A fixed answer for unit tests; ``None`` plays a promotion that cannot be reached."""

    def __init__(self, outlook: PromotionOutlook | None) -> None:
        self.answer = outlook

    async def outlook(self) -> PromotionOutlook:
        if self.answer is None:
            raise PromotionUnavailable("the promotion is unreachable (test)")
        return self.answer


def sample_outlook(now: datetime | None = None) -> PromotionOutlook:
    """Promotion 7, 12 seats of 30 taken; one open round per kind, one closed, one past."""
    now = now or datetime.now(UTC)

    def round_ref(name: str, kind: DossierKind, days: int, state: RoundState) -> RoundRef:
        return RoundRef(
            round_id=f"7-{name}",
            kind=kind,
            cutoff_at=now + timedelta(days=days),
            deliberation_at=now + timedelta(days=days + 10),
            state=state,
        )

    return PromotionOutlook(
        number=7,
        seats=SeatsSummary(seats_taken=12, seat_cap=30),
        rounds=[
            round_ref("project-past", DossierKind.PROJECT, -40, RoundState.CLOSED),
            round_ref("candidate-deliberating", DossierKind.CANDIDATE, -2, RoundState.DELIBERATING),
            round_ref("project-next", DossierKind.PROJECT, 20, RoundState.OPEN),
            round_ref("candidate-next", DossierKind.CANDIDATE, 25, RoundState.OPEN),
        ],
    )


async def intake_with_pages(
    database: Path,
    calendar: InMemoryPromotionCalendar,
    *,
    dossier_workflows: DossierWorkflows | None = None,
    **settings: object,
) -> Intake:
    intake = bootstrap(
        offline_settings(
            f"sqlite:///{database}",
            MAIL_FROM="EIG <contact-eig@example.gouv.fr>",
            LEGAL_HOSTING_PROVIDER=HOSTING,
            **settings,
        ),
        promotion_calendar=calendar,
        dossier_workflows=dossier_workflows,
    )
    async with intake.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    return intake
