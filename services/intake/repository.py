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

from libs.messages.topics import APPLICATIONS
from services.intake.models import (
    Application,
    DossierStatusView,
    DossierTimelineEntry,
    IdempotencyRecord,
    OutboxMessage,
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

    async def confirm_workflow(self, dossier_id: UUID, at: datetime) -> None:
        await self.session.exec(
            update(Application)
            .where(col(Application.dossier_id) == dossier_id)
            .values(workflow_confirmed_at=at)
        )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)

    async def pending(self, limit: int, *, skip_locked: bool) -> Sequence[OutboxMessage]:
        """Unsent rows in insertion order; with ``skip_locked``, rows another relay holds are
        left to it (PostgreSQL ``FOR UPDATE SKIP LOCKED``)."""
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None))
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        if skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        return (await self.session.exec(statement)).all()

    async def count_pending(self) -> int:
        statement = select(func.count()).where(col(OutboxMessage.sent_at).is_(None))
        return int((await self.session.exec(statement)).one())

    async def mark_sent(self, message_ids: Sequence[int], at: datetime) -> None:
        await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids))
            .values(sent_at=at, attempts=OutboxMessage.attempts + 1, last_error=None)
        )

    async def record_failure(self, message_id: int, error: str) -> None:
        await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(attempts=OutboxMessage.attempts + 1, last_error=error)
        )

    async def submission_of(self, dossier_id: UUID) -> OutboxMessage | None:
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.topic) == APPLICATIONS)
            .where(col(OutboxMessage.key) == str(dossier_id))
            .order_by(col(OutboxMessage.id))
            .limit(1)
        )
        return (await self.session.exec(statement)).first()

    async def requeue_submission(self, dossier_id: UUID, sent_before: datetime) -> bool:
        """Mark a dossier's submission unsent again, so the relay republishes the same event.

        Only rows sent before ``sent_before``: a row just (re)sent gets its grace period.
        """
        result = await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.topic) == APPLICATIONS)
            .where(col(OutboxMessage.key) == str(dossier_id))
            .where(col(OutboxMessage.sent_at).is_not(None))
            .where(col(OutboxMessage.sent_at) < sent_before)
            .values(sent_at=None)
        )
        return result.rowcount > 0


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
