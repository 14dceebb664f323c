"""Database access for intake; every method runs inside the caller's transaction.

Queries are written once for SQLite and PostgreSQL; where their SQL differs (upserts, row
locks), the dialect is picked from the session's connection.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import libs.outbox.repository
from libs.messages.topics import APPLICATIONS
from libs.outbox.models import OutboxMessage, OutboxOrigin
from services.intake.models import (
    Application,
    DossierStatusView,
    DossierTimelineEntry,
    IdempotencyRecord,
    ReconcilerState,
)


async def _dialect(session: AsyncSession) -> str:
    connection = await session.connection()
    return connection.dialect.name


async def _upsert_statement(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support: both dialects spell it the same way."""
    if await _dialect(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, application: Application) -> None:
        self.session.add(application)

    def add_idempotency_record(self, record: IdempotencyRecord) -> None:
        self.session.add(record)

    async def get(self, dossier_id: UUID) -> Application | None:
        return await self.session.get(Application, dossier_id)

    async def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        return await self.session.get(IdempotencyRecord, key)

    async def awaiting_workflow(
        self, created_before: datetime, limit: int
    ) -> Sequence[Application]:
        """Accepted applications whose workflow nobody has seen yet, oldest first."""
        statement = (
            select(Application)
            .where(col(Application.workflow_confirmed_at).is_(None))
            .where(col(Application.created_at) < created_before)
            .order_by(col(Application.created_at))
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def unconfirmed(self) -> tuple[int, datetime | None]:
        """How many accepted applications have no confirmed workflow yet, and the oldest's time."""
        statement = select(func.count(), func.min(Application.created_at)).where(
            col(Application.workflow_confirmed_at).is_(None)
        )
        count, oldest = (await self.session.exec(statement)).one()
        return int(count), oldest

    async def confirm_workflows(self, dossier_ids: Sequence[UUID], at: datetime) -> None:
        if not dossier_ids:
            return
        await self.session.exec(
            update(Application)
            .where(col(Application.dossier_id).in_(dossier_ids))
            .values(workflow_confirmed_at=at)
        )


class OutboxRepository(libs.outbox.repository.OutboxRepository):
    """Intake's outbox rows, with what only intake asks of them (its submissions)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, OutboxOrigin.INTAKE)

    async def submission_of(self, dossier_id: UUID) -> OutboxMessage | None:
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.topic) == APPLICATIONS)
            .where(col(OutboxMessage.key) == str(dossier_id))
            .order_by(col(OutboxMessage.id))
            .limit(1)
        )
        return (await self.session.exec(statement)).first()

    async def requeue_submissions(
        self, dossier_ids: Sequence[UUID], sent_before: datetime
    ) -> list[UUID]:
        """Mark these dossiers' submissions unsent again, so the relay republishes the same
        events; returns the dossiers requeued.

        Only rows sent before ``sent_before``: a row just (re)sent gets its grace period.
        """
        if not dossier_ids:
            return []
        keys = [str(dossier_id) for dossier_id in dossier_ids]
        due = (
            col(OutboxMessage.topic) == APPLICATIONS,
            col(OutboxMessage.key).in_(keys),
            col(OutboxMessage.sent_at).is_not(None),
            col(OutboxMessage.sent_at) < sent_before,
        )
        requeued = (await self.session.exec(select(OutboxMessage.key).where(*due))).all()
        if requeued:
            await self.session.exec(
                update(OutboxMessage).where(*due).values(sent_at=None, sent_epoch=None)
            )
        return [UUID(key) for key in requeued]


class StatusViewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_timeline_entry(self, entry: DossierTimelineEntry) -> bool:
        """Insert unless this event is already recorded; True when it was new."""
        insert = await _upsert_statement(self.session, DossierTimelineEntry)
        statement = (
            insert.values(**entry.model_dump())
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(DossierTimelineEntry.__table__.c.event_id)  # type: ignore[attr-defined]
        )
        inserted = (await self.session.exec(statement)).first()
        return inserted is not None

    async def advance(self, view: DossierStatusView) -> None:
        """Store ``view`` unless a newer status change is already recorded (events may arrive
        out of order after a replay)."""
        insert = await _upsert_statement(self.session, DossierStatusView)
        statement = insert.values(**view.model_dump())
        table = DossierStatusView.__table__.c  # type: ignore[attr-defined]
        statement = statement.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={
                "status": statement.excluded.status,
                "updated_at": statement.excluded.updated_at,
                "last_event_at": statement.excluded.last_event_at,
            },
            where=table.last_event_at < statement.excluded.last_event_at,
        )
        await self.session.exec(statement)

    async def get(self, dossier_id: UUID) -> DossierStatusView | None:
        return await self.session.get(DossierStatusView, dossier_id)

    async def timeline(self, dossier_id: UUID) -> Sequence[DossierTimelineEntry]:
        statement = (
            select(DossierTimelineEntry)
            .where(col(DossierTimelineEntry.dossier_id) == dossier_id)
            .order_by(col(DossierTimelineEntry.occurred_at), col(DossierTimelineEntry.event_id))
        )
        return (await self.session.exec(statement)).all()


class ReconcilerStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_round(
        self,
        name: str,
        at: datetime,
        *,
        checked: int,
        confirmed: int,
        republished: int,
        temporal_unreachable: bool,
    ) -> None:
        """Upsert the reconciler's row; the republished total adds up across replicas."""
        insert = await _upsert_statement(self.session, ReconcilerState)
        latest = {
            "last_run_at": at,
            "last_checked": checked,
            "last_confirmed": confirmed,
            "last_republished": republished,
            "last_temporal_unreachable": temporal_unreachable,
        }
        statement = insert.values(name=name, republished_total=republished, **latest)
        table = ReconcilerState.__table__.c  # type: ignore[attr-defined]
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={**latest, "republished_total": table.republished_total + republished},
        )
        await self.session.exec(statement)

    async def get(self, name: str) -> ReconcilerState | None:
        return await self.session.get(ReconcilerState, name)
