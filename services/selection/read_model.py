"""Projects applications and dossier events into the staff read model (replay-safe).

The two topics are read by separate consumers, so a dossier's first status event may arrive
before its application: either side creates the row and the other completes it. A status is
only overwritten by a newer event, and the timeline is deduplicated on ``event_id``, so
replaying a topic from the start changes nothing.

Each change of a row's counted columns moves one dossier between two rows of
``staff_dossier_counts`` in the same transaction (ADR 20): a replay changes no row, so it
changes no count either. The row is read ``FOR UPDATE`` on PostgreSQL, so that the two
consumers never both start from the same old values (SQLite has one writer at a time).
"""

from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.applications import (
    CandidateApplicationSubmitted,
    ProjectApplicationSubmitted,
)
from libs.messages.dossier_events import (
    FINAL_STATUSES,
    Detail,
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from libs.personal_data import anonymised_application, erased_text
from services.selection.models import StaffDossier, StaffDossierCount, StaffTimelineEntry

SEARCHED_FIELDS = ("first_name", "last_name", "administration_name", "contact_name")
"""What the list's search reads besides the title: names and the administration (a short
text per dossier, so that even a search no index serves reads little)."""

CountKey = tuple[str, str, bool, bool, str, str]
"""A row of ``staff_dossier_counts``: kind, status, final, overdue, roles, administration kind."""


def search_text(title: str, application: dict[str, Any]) -> str:
    values = [title, *(str(application.get(name) or "") for name in SEARCHED_FIELDS)]
    return " ".join(value for value in values if value).lower()


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def count_key(dossier: StaffDossier) -> CountKey:
    return (
        dossier.kind,
        dossier.status,
        dossier.final,
        dossier.overdue,
        dossier.roles,
        dossier.administration_kind or "",
    )


async def _locked(session: AsyncSession, dossier_id: UUID) -> StaffDossier | None:
    """The dossier's row, locked until the transaction ends (PostgreSQL; SQLite: one writer)."""
    return await session.get(StaffDossier, dossier_id, with_for_update=True)


async def _move_count(
    session: AsyncSession, before: CountKey | None, after: CountKey | None
) -> None:
    """One dossier leaves ``before``'s count and joins ``after``'s (None: not counted)."""
    if before == after:
        return
    deltas = {key: delta for key, delta in ((before, -1), (after, 1)) if key is not None}
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # In key order: two transactions moving dossiers both ways lock the rows alike (no deadlock).
    for key in sorted(deltas):
        kind, status, final, overdue, roles, administration_kind = key
        statement = insert(StaffDossierCount).values(
            kind=kind,
            status=status,
            final=final,
            overdue=overdue,
            roles=roles,
            administration_kind=administration_kind,
            dossiers=deltas[key],
        )
        await session.exec(
            statement.on_conflict_do_update(
                index_elements=[
                    "kind",
                    "status",
                    "final",
                    "overdue",
                    "roles",
                    "administration_kind",
                ],
                set_={"dossiers": StaffDossierCount.dossiers + deltas[key]},
            )
        )


async def recount(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Rebuild ``staff_dossier_counts`` from the rows (after a bulk load, or to check them)."""
    administration_kind = func.coalesce(col(StaffDossier.administration_kind), "")
    columns = (
        col(StaffDossier.kind),
        col(StaffDossier.status),
        col(StaffDossier.final),
        col(StaffDossier.overdue),
        col(StaffDossier.roles),
        administration_kind,
    )
    async with transaction(sessions) as session:
        await session.exec(delete(StaffDossierCount))
        connection = await session.connection()
        grouped = await connection.execute(select(*columns, func.count()).group_by(*columns))
        for kind, status, final, overdue, roles, admin, dossiers in grouped.all():
            session.add(
                StaffDossierCount(
                    kind=kind,
                    status=status,
                    final=final,
                    overdue=overdue,
                    roles=roles,
                    administration_kind=admin,
                    dossiers=dossiers,
                )
            )


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
        dossier = await _locked(session, event.dossier_id)
        if dossier is None:
            dossier = StaffDossier(
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
            session.add(dossier)
            await _move_count(session, None, count_key(dossier))
            return True
        if dossier.submitted_at is not None:
            return False  # a replay
        if dossier.personal_data_erased_at is not None:
            # Erased while its application was still on its way: it arrives erased.
            application = anonymised_application(dossier.kind, application)
        before = count_key(dossier)
        dossier.submitted_at = event.occurred_at
        dossier.application = application
        dossier.search_text = search_text(title, application)
        for name, value in _listing_columns(application).items():
            setattr(dossier, name, value)
        session.add(dossier)
        await _move_count(session, before, count_key(dossier))
        return True


async def record_status_change(
    sessions: async_sessionmaker[AsyncSession], event: DossierStatusChanged
) -> bool:
    """Add the change to the timeline and, if it is the newest, to the row; False if seen."""
    async with transaction(sessions) as session:
        if await session.get(StaffTimelineEntry, event.event_id) is not None:
            return False
        entry = StaffTimelineEntry(
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
        # Written before the row is read: on SQLite the write takes the lock that serialises
        # the two consumers (PostgreSQL locks the row).
        session.add(entry)
        dossier = await _locked(session, event.dossier_id)
        if dossier is not None and dossier.personal_data_erased_at is not None:
            # An event read after the erasure (in flight at the time) adds no free text.
            entry.note = erased_text(entry.note)
        round_id = event.details.get(Detail.ROUND_ID.value)
        if dossier is None:
            dossier = StaffDossier(
                dossier_id=event.dossier_id,
                kind=event.kind.value,
                title=event.title,
                status=event.status.value,
                final=is_final(event.status.value),
                round_id=round_id,
                updated_at=event.occurred_at,
                search_text=search_text(event.title, {}),
            )
            session.add(dossier)
            await _move_count(session, None, count_key(dossier))
        elif event.occurred_at >= dossier.updated_at:
            before = count_key(dossier)
            dossier.status = event.status.value
            dossier.final = is_final(event.status.value)
            dossier.updated_at = event.occurred_at
            dossier.round_id = round_id or dossier.round_id
            dossier.overdue = False  # a new stage has its own deadline
            session.add(dossier)
            await _move_count(session, before, count_key(dossier))
        return True


async def record_deadline_passed(
    sessions: async_sessionmaker[AsyncSession], event: DossierDeadlinePassed
) -> bool:
    """Flag the dossier overdue if it is still in the stage that passed its deadline."""
    async with transaction(sessions) as session:
        dossier = await _locked(session, event.dossier_id)
        if dossier is None or dossier.overdue:
            return False
        # An old reminder replayed after the dossier moved on must not flag the new stage.
        if dossier.status != event.status.value or event.occurred_at < dossier.updated_at:
            return False
        before = count_key(dossier)
        dossier.overdue = True
        session.add(dossier)
        await _move_count(session, before, count_key(dossier))
        return True
