"""Adapter: the record of e-mails already sent, which makes redelivered events harmless, and
of failed attempts, which the operations report counts."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from services.notifications.models import NotificationFailure, SentNotification


class SentNotifications:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def contains(self, key: UUID) -> bool:
        """Was the e-mail of this key sent? (``rendering.notification_id``)"""
        async with self._sessions() as session:
            return await session.get(SentNotification, key) is not None

    async def add(self, notification: SentNotification) -> bool:
        """Record it; False if another consumer recorded the same e-mail first."""
        try:
            async with transaction(self._sessions) as session:
                session.add(notification)
        except IntegrityError:
            return False
        return True

    async def record_failure(self, failure: NotificationFailure) -> None:
        async with transaction(self._sessions) as session:
            session.add(failure)


async def delete_sent_before(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete at most ``limit`` dedupe records of e-mails sent before ``before``."""
    expired = (
        select(SentNotification.event_id)
        .where(col(SentNotification.sent_at) < before)
        .order_by(col(SentNotification.sent_at))
        .limit(limit)
    )
    result = await session.exec(
        delete(SentNotification).where(
            col(SentNotification.event_id).in_(expired.scalar_subquery())
        )
    )
    return int(result.rowcount)


async def delete_failures_before(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete at most ``limit`` failed attempts recorded before ``before``."""
    expired = (
        select(NotificationFailure.id)
        .where(col(NotificationFailure.failed_at) < before)
        .order_by(col(NotificationFailure.failed_at))
        .limit(limit)
    )
    result = await session.exec(
        delete(NotificationFailure).where(
            col(NotificationFailure.id).in_(expired.scalar_subquery())
        )
    )
    return int(result.rowcount)
