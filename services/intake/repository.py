"""Database access for intake; every method runs inside the caller's transaction.

Queries are written once for SQLite and PostgreSQL; where their SQL differs (upserts, row
locks), the dialect is picked from the session's connection.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import libs.outbox.repository
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.dossier_events import FINAL_STATUSES
from libs.messages.topics import APPLICATIONS, Headers
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.personal_data import ERASED, anonymised_application
from services.intake.models import (
    Application,
    DossierStatusView,
    DossierTimelineEntry,
    IdempotencyRecord,
    PublicResultsContract,
    PublicResultsDossier,
    PublicResultsEvent,
    PublicResultsPromotion,
    PublicResultsRenewal,
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
        self, confirmed_before: datetime, limit: int
    ) -> Sequence[Application]:
        """Confirmed applications whose workflow nobody has seen yet, oldest first (an
        unconfirmed application has no workflow to expect)."""
        statement = (
            select(Application)
            .where(col(Application.workflow_confirmed_at).is_(None))
            .where(col(Application.reconcile_given_up_at).is_(None))
            .where(col(Application.email_confirmed_at) < confirmed_before)
            .order_by(col(Application.email_confirmed_at))
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def unconfirmed(self) -> tuple[int, datetime | None]:
        """How many confirmed applications have no confirmed workflow yet, and the oldest's
        confirmation time."""
        statement = select(func.count(), func.min(Application.email_confirmed_at)).where(
            col(Application.workflow_confirmed_at).is_(None),
            col(Application.email_confirmed_at).is_not(None),
        )
        count, oldest = (await self.session.exec(statement)).one()
        return int(count), oldest

    async def unconfirmed_before(self, created_before: datetime) -> Sequence[UUID]:
        """Applications older than ``created_before`` whose workflow nobody has seen: the
        reconciler may still need their submission's outbox row."""
        statement = (
            select(Application.dossier_id)
            .where(col(Application.workflow_confirmed_at).is_(None))
            .where(col(Application.created_at) < created_before)
        )
        return (await self.session.exec(statement)).all()

    async def delete_idempotency_records_before(self, before: datetime, limit: int) -> int:
        expired = (
            select(IdempotencyRecord.key)
            .where(col(IdempotencyRecord.created_at) < before)
            .order_by(col(IdempotencyRecord.created_at))
            .limit(limit)
        )
        result = await self.session.exec(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.key).in_(expired.scalar_subquery())
            )
        )
        return int(result.rowcount)

    async def final_with_personal_data(self, before: datetime, limit: int) -> Sequence[UUID]:
        """Dossiers final since before ``before`` whose application still names someone."""
        statement = (
            select(Application.dossier_id)
            .join(DossierStatusView, col(DossierStatusView.dossier_id) == Application.dossier_id)
            .where(col(DossierStatusView.status).in_([status.value for status in FINAL_STATUSES]))
            .where(col(DossierStatusView.last_event_at) < before)
            .where(col(Application.personal_data_erased_at).is_(None))
            .order_by(col(DossierStatusView.last_event_at))
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def erase_personal_data(self, dossier_ids: Sequence[UUID], at: datetime) -> int:
        """Keep of each application only what is not personal; returns the rows changed
        (an application already erased is left as it is)."""
        statement = (
            select(Application)
            .where(col(Application.dossier_id).in_(dossier_ids))
            .where(col(Application.personal_data_erased_at).is_(None))
        )
        applications = (await self.session.exec(statement)).all()
        for application in applications:
            application.payload = anonymised_application(application.kind, application.payload)
            application.personal_data_erased_at = at
            self.session.add(application)
        return len(applications)

    async def mark_email_confirmed(
        self, dossier_id: UUID, at: datetime, received_after: datetime
    ) -> bool:
        """Record the confirmation unless already recorded or the application expired; True
        when this call recorded it. One conditional update: of two concurrent confirmations,
        one wins (the row lock, or SQLite's single writer, orders them)."""
        result = await self.session.exec(
            update(Application)
            .where(col(Application.dossier_id) == dossier_id)
            .where(col(Application.email_confirmed_at).is_(None))
            # Strictly after: at the deadline itself the application has expired.
            .where(col(Application.created_at) > received_after)
            .values(email_confirmed_at=at)
        )
        return bool(result.rowcount)

    async def expired_unconfirmed(self, received_before: datetime, limit: int) -> list[UUID]:
        statement = (
            select(Application.dossier_id)
            .where(col(Application.email_confirmed_at).is_(None))
            .where(col(Application.created_at) < received_before)
            .order_by(col(Application.created_at))
            .limit(limit)
        )
        return list((await self.session.exec(statement)).all())

    async def delete_unconfirmed(self, dossier_ids: Sequence[UUID]) -> list[UUID]:
        """Delete these applications if still unconfirmed, with their idempotency records;
        returns those deleted (a confirmation may win the race for one)."""
        if not dossier_ids:
            return []
        deleted = (
            await self.session.exec(
                delete(Application)
                .where(col(Application.dossier_id).in_(dossier_ids))
                .where(col(Application.email_confirmed_at).is_(None))
                .returning(col(Application.dossier_id))
            )
        ).all()
        gone = [row[0] for row in deleted]
        if gone:
            await self.session.exec(
                delete(IdempotencyRecord).where(col(IdempotencyRecord.dossier_id).in_(gone))
            )
        return gone

    async def count_republished(self, dossier_ids: Sequence[UUID]) -> None:
        if dossier_ids:
            await self.session.exec(
                update(Application)
                .where(col(Application.dossier_id).in_(dossier_ids))
                .values(republish_count=col(Application.republish_count) + 1)
            )

    async def give_up_reconciling(self, dossier_ids: Sequence[UUID], at: datetime) -> None:
        if dossier_ids:
            await self.session.exec(
                update(Application)
                .where(col(Application.dossier_id).in_(dossier_ids))
                .values(reconcile_given_up_at=at)
            )

    async def given_up(self, limit: int) -> tuple[int, list[UUID]]:
        """How many dossiers the reconciler gave up on (still without a confirmed workflow),
        and the ``limit`` most recent."""
        given_up = (
            col(Application.reconcile_given_up_at).is_not(None),
            col(Application.workflow_confirmed_at).is_(None),
        )
        count = (await self.session.exec(select(func.count()).where(*given_up))).one()
        latest = await self.session.exec(
            select(Application.dossier_id)
            .where(*given_up)
            .order_by(col(Application.reconcile_given_up_at).desc())
            .limit(limit)
        )
        return int(count), list(latest.all())

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
        """The dossier's submission row (its received row shares topic and key)."""
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.topic) == APPLICATIONS)
            .where(col(OutboxMessage.key) == str(dossier_id))
            .order_by(col(OutboxMessage.id))
        )
        rows = (await self.session.exec(statement)).all()
        return next((row for row in rows if is_submission(row)), None)

    async def delete_applications_of(self, dossier_ids: Sequence[UUID]) -> None:
        """Every row of these dossiers on the applications topic (purge of the unconfirmed)."""
        if dossier_ids:
            await self.session.exec(
                delete(OutboxMessage)
                .where(col(OutboxMessage.topic) == APPLICATIONS)
                .where(col(OutboxMessage.key).in_([str(id_) for id_ in dossier_ids]))
            )

    async def requeue_submissions(
        self, dossier_ids: Sequence[UUID], sent_before: datetime
    ) -> list[UUID]:
        """Mark these dossiers' submissions unsent again, so the relay republishes the same
        events; returns the dossiers requeued.

        Only rows sent before ``sent_before``: a row just (re)sent gets its grace period.
        """
        if not dossier_ids:
            return []
        due = self._sent_before(dossier_ids, sent_before)
        rows = (await self.session.exec(select(OutboxMessage).where(*due))).all()
        # Only the submissions: the confirmation request was e-mailed, its replay adds nothing.
        requeued = [row for row in rows if is_submission(row)]
        if requeued:
            await self.session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_([row.id for row in requeued]))
                .values(sent_at=None, sent_epoch=None)
            )
        return [UUID(row.key) for row in requeued]

    async def sent_submissions(
        self, dossier_ids: Sequence[UUID], sent_before: datetime
    ) -> list[UUID]:
        """Those of the dossiers whose submission was (re)sent before ``sent_before``."""
        if not dossier_ids:
            return []
        due = self._sent_before(dossier_ids, sent_before)
        rows = (await self.session.exec(select(OutboxMessage).where(*due))).all()
        return [UUID(row.key) for row in rows if is_submission(row)]

    @staticmethod
    def _sent_before(dossier_ids: Sequence[UUID], sent_before: datetime) -> tuple[Any, ...]:
        return (
            col(OutboxMessage.topic) == APPLICATIONS,
            col(OutboxMessage.key).in_([str(dossier_id) for dossier_id in dossier_ids]),
            col(OutboxMessage.sent_at).is_not(None),
            col(OutboxMessage.sent_at) < sent_before,
        )


SUBMISSION_TYPES = frozenset(
    {
        CandidateApplicationSubmitted.model_fields["type"].default,
        ProjectApplicationSubmitted.model_fields["type"].default,
    }
)


def is_submission(row: OutboxMessage) -> bool:
    """Whether an applications-topic row is a submission (what starts a workflow)."""
    return row.headers.get(Headers.EVENT_TYPE) in SUBMISSION_TYPES


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

    async def erase_notes(self, dossier_ids: Sequence[UUID]) -> int:
        """Blank the staff notes (free text about the applicant) of these dossiers' timelines;
        the statuses and their dates stay."""
        result = await self.session.exec(
            update(DossierTimelineEntry)
            .where(col(DossierTimelineEntry.dossier_id).in_(dossier_ids))
            .where(col(DossierTimelineEntry.note) != "", col(DossierTimelineEntry.note) != ERASED)
            .values(note=ERASED)
        )
        return int(result.rowcount)

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


class PublicResultsRepository:
    """The public results' rows: each write is keyed by what it counts, so it may be repeated."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark_recorded(self, event_id: UUID, at: datetime) -> bool:
        """True the first time ``event_id`` is seen; False for a replay."""
        insert = await _upsert_statement(self.session, PublicResultsEvent)
        statement = (
            insert.values(event_id=event_id, recorded_at=at)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(PublicResultsEvent.__table__.c.event_id)  # type: ignore[attr-defined]
        )
        return (await self.session.exec(statement)).first() is not None

    async def record_dossier(self, row: PublicResultsDossier) -> None:
        """Merge one event's view of a dossier: the latest status wins (events may come out of
        order after a replay), the receipt and the signed partnership are kept once told."""
        insert = await _upsert_statement(self.session, PublicResultsDossier)
        statement = insert.values(**row.model_dump())
        new, table = statement.excluded, PublicResultsDossier.__table__.c  # type: ignore[attr-defined]
        newer = new.status_at > table.status_at
        signed = new.partnership_signed_at.is_not(None)
        statement = statement.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={
                "promotion_number": new.promotion_number,
                "status": case((newer, new.status), else_=table.status),
                "status_at": case((newer, new.status_at), else_=table.status_at),
                "received_at": func.coalesce(table.received_at, new.received_at),
                "partnership_signed_at": func.coalesce(
                    table.partnership_signed_at, new.partnership_signed_at
                ),
                "partnership_signed_on": func.coalesce(
                    table.partnership_signed_on, new.partnership_signed_on
                ),
                "project_title": case((signed, new.project_title), else_=table.project_title),
                "administration_name": case(
                    (signed, new.administration_name), else_=table.administration_name
                ),
            },
        )
        await self.session.exec(statement)

    async def record_seat_cap(self, promotion_number: int, seat_cap: int, at: datetime) -> None:
        insert = await _upsert_statement(self.session, PublicResultsPromotion)
        statement = insert.values(promotion_number=promotion_number, seat_cap=seat_cap, seen_at=at)
        table = PublicResultsPromotion.__table__.c  # type: ignore[attr-defined]
        statement = statement.on_conflict_do_update(
            index_elements=["promotion_number"],
            set_={"seat_cap": statement.excluded.seat_cap, "seen_at": statement.excluded.seen_at},
            where=table.seen_at < statement.excluded.seen_at,
        )
        await self.session.exec(statement)

    async def record_signed_contract(self, row: PublicResultsContract) -> None:
        insert = await _upsert_statement(self.session, PublicResultsContract)
        await self.session.exec(
            insert.values(**row.model_dump()).on_conflict_do_nothing(index_elements=["contract_id"])
        )

    async def record_renewal(self, row: PublicResultsRenewal) -> None:
        insert = await _upsert_statement(self.session, PublicResultsRenewal)
        await self.session.exec(
            insert.values(**row.model_dump()).on_conflict_do_nothing(
                index_elements=["contract_id", "version"]
            )
        )

    async def promotions(self) -> set[int]:
        """Every promotion some event was counted for."""
        found: set[int] = set()
        for table in (PublicResultsDossier, PublicResultsContract):
            statement = select(table.promotion_number).distinct()
            found.update((await self.session.exec(statement)).all())
        return found

    async def received(self, promotion_number: int) -> Sequence[tuple[str, datetime]]:
        """(kind, received_at) of each dossier received in the promotion."""
        statement = select(PublicResultsDossier.kind, PublicResultsDossier.received_at).where(
            col(PublicResultsDossier.promotion_number) == promotion_number,
            col(PublicResultsDossier.received_at).is_not(None),
        )
        return [(kind, at) for kind, at in (await self.session.exec(statement)).all() if at]

    async def signed_partnerships(self, promotion_number: int) -> Sequence[PublicResultsDossier]:
        statement = (
            select(PublicResultsDossier)
            .where(
                col(PublicResultsDossier.promotion_number) == promotion_number,
                col(PublicResultsDossier.partnership_signed_at).is_not(None),
            )
            .order_by(
                col(PublicResultsDossier.partnership_signed_at),
                col(PublicResultsDossier.project_title),
            )
        )
        return (await self.session.exec(statement)).all()

    async def recruitments(self, promotion_number: int) -> Sequence[tuple[str, str, int]]:
        """(role, band, count) of the promotion's signed contracts."""
        role, band = col(PublicResultsContract.role), col(PublicResultsContract.band)
        statement = (
            select(role, band, func.count())
            .where(col(PublicResultsContract.promotion_number) == promotion_number)
            .group_by(role, band)
            .order_by(role, band)
        )
        return [(r, b, int(n)) for r, b, n in (await self.session.exec(statement)).all()]

    async def count_in_status(self, promotion_number: int, kind: str, status: str) -> int:
        statement = select(func.count()).where(
            col(PublicResultsDossier.promotion_number) == promotion_number,
            col(PublicResultsDossier.kind) == kind,
            col(PublicResultsDossier.status) == status,
        )
        return int((await self.session.exec(statement)).one())

    async def seat_cap(self, promotion_number: int) -> int | None:
        row = await self.session.get(PublicResultsPromotion, promotion_number)
        return row.seat_cap if row is not None else None

    async def renewals(self, promotion_number: int) -> int:
        statement = select(func.count()).where(
            col(PublicResultsRenewal.promotion_number) == promotion_number
        )
        return int((await self.session.exec(statement)).one())
