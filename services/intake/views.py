"""Read side: a dossier's status and timeline as its applicant sees them."""

from uuid import UUID

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.intake.repository import ApplicationRepository, StatusViewRepository
from services.intake.schemas import DossierStatusPublic, TimelineEntryPublic


async def dossier_status(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> DossierStatusPublic | None:
    """None for an unknown dossier. Until the first dossier event arrives, the dossier is
    'received' as of its submission; the timeline always starts with the submission."""
    async with transaction(sessions) as session:
        application = await ApplicationRepository(session).get(dossier_id)
        if application is None:
            return None
        views = StatusViewRepository(session)
        view = await views.get(dossier_id)
        entries = await views.timeline(dossier_id)
    submission = TimelineEntryPublic(status=DossierStatus.RECEIVED.value, at=application.created_at)
    timeline = [submission]
    for entry in entries:
        # An event that repeats the previous step without a note (the workflow confirming
        # "received" after the submission) adds nothing for the applicant: show each step once.
        if entry.status == timeline[-1].status and not entry.note:
            continue
        timeline.append(
            TimelineEntryPublic(status=entry.status, at=entry.occurred_at, note=entry.note)
        )
    return DossierStatusPublic(
        dossier_id=application.dossier_id,
        kind=DossierKind(application.kind),
        title=application.title,
        status=view.status if view is not None else DossierStatus.RECEIVED.value,
        submitted_at=application.created_at,
        updated_at=view.last_event_at if view is not None else application.created_at,
        timeline=timeline,
    )
