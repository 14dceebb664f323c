"""Adapter: the record of e-mails already sent, which makes redelivered events harmless, and
of failed attempts, which the operations report counts."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
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
