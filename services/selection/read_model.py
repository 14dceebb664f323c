"""Projects applications and dossier events into the staff read model (replay-safe).

The two topics are read by separate consumers, so a dossier's first status event may arrive
before its application: either side creates the row and the other completes it. A status is
only overwritten by a newer event, and the timeline is deduplicated on ``event_id``, so
replaying a topic from the start changes nothing.
"""

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.applications import (
    CandidateApplicationSubmitted,
    ProjectApplicationSubmitted,
)
from libs.messages.dossier_events import (
    Detail,
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from services.selection.models import StaffDossier, StaffTimelineEntry


def search_text(title: str, application: dict[str, Any]) -> str:
    values = [title, *(_flatten(application))]
    return " ".join(value for value in values if value).lower()


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flatten(item)]
    if isinstance(value, list):
        return [text for item in value for text in _flatten(item)]
    return [] if value is None else [str(value)]


def _listing_columns(application: dict[str, Any]) -> dict[str, Any]:
    """The filterable columns read from the application (role, administration kind)."""
    wanted = application.get("profiles_wanted") or []
    roles = [str(application["role"])] if application.get("role") else [str(r) for r in wanted]
    kind = application.get("administration_kind")
    return {"roles": " ".join(roles), "administration_kind": str(kind) if kind else None}


async def record_application(
    sessions: async_sessionmaker[AsyncSession],
    event: CandidateApplicationSubmitted | ProjectApplicationSubmitted,
) -> bool:
    """Add the application to its dossier's row; True if the row did not hold it yet."""
    application = event.payload.model_dump(mode="json")
    title = event.payload.title
    async with transaction(sessions) as session:
        dossier = await session.get(StaffDossier, event.dossier_id)
        if dossier is None:
            session.add(
                StaffDossier(
                    dossier_id=event.dossier_id,
                    kind=event.kind.value,
                    title=title,
                    status=DossierStatus.RECEIVED.value,
                    submitted_at=event.occurred_at,
                    updated_at=event.occurred_at,
                    application=application,
                    search_text=search_text(title, application),
                    **_listing_columns(application),
                )
            )
            return True
        if dossier.submitted_at is not None:
            return False  # a replay
        dossier.submitted_at = event.occurred_at
        dossier.application = application
        dossier.search_text = search_text(title, application)
        for name, value in _listing_columns(application).items():
            setattr(dossier, name, value)
        session.add(dossier)
        return True


async def record_status_change(
    sessions: async_sessionmaker[AsyncSession], event: DossierStatusChanged
) -> bool:
    """Add the change to the timeline and, if it is the newest, to the row; False if seen."""
    async with transaction(sessions) as session:
        if await session.get(StaffTimelineEntry, event.event_id) is not None:
            return False
        session.add(
            StaffTimelineEntry(
                event_id=event.event_id,
                dossier_id=event.dossier_id,
                status=event.status.value,
                action=event.action,
                outcome=event.outcome,
                actor=event.actor,
                actor_name=event.actor_name,
                note=event.note,
                occurred_at=event.occurred_at,
            )
        )
        round_id = event.details.get(Detail.ROUND_ID.value)
        dossier = await session.get(StaffDossier, event.dossier_id)
        if dossier is None:
            session.add(
                StaffDossier(
                    dossier_id=event.dossier_id,
                    kind=event.kind.value,
                    title=event.title,
                    status=event.status.value,
                    round_id=round_id,
                    updated_at=event.occurred_at,
                    search_text=search_text(event.title, {}),
                )
            )
        elif event.occurred_at >= dossier.updated_at:
            dossier.status = event.status.value
            dossier.updated_at = event.occurred_at
            dossier.round_id = round_id or dossier.round_id
            dossier.overdue = False  # a new stage has its own deadline
            session.add(dossier)
        return True


async def record_deadline_passed(
    sessions: async_sessionmaker[AsyncSession], event: DossierDeadlinePassed
) -> bool:
    """Flag the dossier overdue if it is still in the stage that passed its deadline."""
    async with transaction(sessions) as session:
        dossier = await session.get(StaffDossier, event.dossier_id)
        if dossier is None or dossier.overdue:
            return False
        # An old reminder replayed after the dossier moved on must not flag the new stage.
        if dossier.status != event.status.value or event.occurred_at < dossier.updated_at:
            return False
        dossier.overdue = True
        session.add(dossier)
        return True
