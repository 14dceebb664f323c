"""Database access to the outbox; every method runs inside the caller's transaction."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.outbox.models import OutboxMessage
from libs.personal_data import DELETED, PurgeReport, RetentionPolicy, in_batches


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    oldest_created_at: datetime | None
    failing: int
    """Pending rows whose last publish attempt failed."""
    last_error: str | None
    """The most recent pending row's error, if any."""
    pending_by_origin: dict[str, int] = field(default_factory=dict)
    """Pending rows per relaying process: a process that is down holds its own back."""


class OutboxRepository:
    """``origin`` scopes what the relay reads and requeues; None reads every origin (reports)."""

    def __init__(self, session: AsyncSession, origin: str | None = None) -> None:
        self.session = session
        self.origin = origin

    def _scoped(self) -> list[ColumnElement[bool]]:
        return [] if self.origin is None else [col(OutboxMessage.origin) == self.origin]

    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)

    async def pending(self, limit: int, *, skip_locked: bool) -> Sequence[OutboxMessage]:
        """Unsent rows in insertion order; with ``skip_locked``, rows another relay holds are
        left to it (PostgreSQL ``FOR UPDATE SKIP LOCKED``)."""
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None), *self._scoped())
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        if skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        return (await self.session.exec(statement)).all()

    async def backlog(self) -> OutboxBacklog:
        pending = col(OutboxMessage.sent_at).is_(None)
        statement = select(
            func.count(),
            func.min(OutboxMessage.created_at),
            func.count(col(OutboxMessage.last_error)),
        ).where(pending, *self._scoped())
        count, oldest, failing = (await self.session.exec(statement)).one()
        per_origin = (
            select(OutboxMessage.origin, func.count())
            .where(pending, *self._scoped())
            .group_by(col(OutboxMessage.origin))
        )
        by_origin = {origin: int(rows) for origin, rows in await self.session.exec(per_origin)}
        last_error = None
        if failing:
            newest_failure = (
                select(OutboxMessage.last_error)
                .where(pending, col(OutboxMessage.last_error).is_not(None), *self._scoped())
                .order_by(col(OutboxMessage.id).desc())
                .limit(1)
            )
            last_error = (await self.session.exec(newest_failure)).first()
        return OutboxBacklog(int(count), oldest, int(failing), last_error, by_origin)

    async def mark_sent(
        self, message_ids: Sequence[int], at: datetime, epoch: str | None = None
    ) -> None:
        await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids))
            .values(
                sent_at=at, sent_epoch=epoch, attempts=OutboxMessage.attempts + 1, last_error=None
            )
        )

    async def record_failure(self, message_id: int, error: str) -> None:
        await self.session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(attempts=OutboxMessage.attempts + 1, last_error=error)
        )

    async def requeue_acked_outside(self, epoch: str, sent_since: datetime) -> int:
        """Mark unsent again the rows sent since ``sent_since`` under any epoch but ``epoch``.

        Those were acknowledged by a broker that has since lost its data (or before epochs
        were recorded): the relay publishes them again, with the same event ids.
        """
        result = await self.session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.sent_at).is_not(None),
                col(OutboxMessage.sent_at) >= sent_since,
                or_(
                    col(OutboxMessage.sent_epoch).is_(None),
                    col(OutboxMessage.sent_epoch) != epoch,
                ),
                *self._scoped(),
            )
            .values(sent_at=None, sent_epoch=None)
        )
        return int(result.rowcount)

    async def delete_sent_before(
        self, before: datetime, limit: int, *, keep_keys: Sequence[str] = ()
    ) -> int:
        """Delete at most ``limit`` rows sent before ``before`` (never an unsent one), but those
        keyed by ``keep_keys``; returns how many went (the retention purge)."""
        expired = (
            select(OutboxMessage.id)
            .where(
                col(OutboxMessage.sent_at).is_not(None),
                col(OutboxMessage.sent_at) < before,
                col(OutboxMessage.key).not_in(keep_keys),
                *self._scoped(),
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        result = await self.session.exec(
            delete(OutboxMessage).where(col(OutboxMessage.id).in_(expired.scalar_subquery()))
        )
        return int(result.rowcount)

    async def delete_sent_keyed(self, key: str) -> int:
        """Delete the rows of one key that were sent (an erasure: their payloads name the
        applicant); unsent ones stay, so that nothing accepted is lost."""
        result = await self.session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.key) == key,
                col(OutboxMessage.sent_at).is_not(None),
                *self._scoped(),
            )
        )
        return int(result.rowcount)


async def purge_sent(
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    now: datetime,
    *,
    origin: str,
    keep_keys: Sequence[str] = (),
) -> PurgeReport:
    """Delete ``origin``'s rows sent more than ``sent_outbox_days`` ago (the retention purge;
    their payloads name applicants). Unsent rows always stay."""
    cutoff = policy.cutoff(now, policy.sent_outbox_days)
    report = PurgeReport()
    report.add(
        "outbox_messages",
        DELETED,
        await in_batches(
            sessions,
            lambda session, limit: OutboxRepository(session, origin).delete_sent_before(
                cutoff, limit, keep_keys=keep_keys
            ),
            policy.batch_size,
        ),
    )
    return report
