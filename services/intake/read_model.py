"""Projects dossier events into the applicants' status view (replay-safe, order-safe).

Each event is kept once in the timeline (deduplicated on ``event_id``), so replaying the topic
changes nothing; the current status only moves to a newer status change.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.dossier_events import DossierStatusChanged
from services.intake.domain import as_utc
from services.intake.models import DossierStatusView, DossierTimelineEntry
from services.intake.repository import StatusViewRepository


async def record_dossier_event(
    sessions: async_sessionmaker[AsyncSession], event: DossierStatusChanged
) -> bool:
    """Add the event to its dossier's timeline and move the status forward if it is newer.

    Returns False for an event already recorded: a replayed topic changes nothing.
    """
    async with transaction(sessions) as session:
        views = StatusViewRepository(session)
        is_new = await views.add_timeline_entry(
            DossierTimelineEntry(
                event_id=event.event_id,
                dossier_id=event.dossier_id,
                status=event.status.value,
                occurred_at=as_utc(event.occurred_at),
                # PostgreSQL cannot store NUL; refusing the event would block its partition.
                note=event.note.replace("\x00", ""),
            )
        )
        if is_new:
            await views.advance(
                DossierStatusView(
                    dossier_id=event.dossier_id,
                    status=event.status.value,
                    updated_at=datetime.now(UTC),
                    last_event_at=as_utc(event.occurred_at),
                )
            )
    return is_new
