"""The outbox (every origin): rows the broker has not acknowledged yet, and since when."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.operations.report import OutboxStatus
from libs.outbox.repository import OutboxRepository


async def collect_outbox(sessions: async_sessionmaker[AsyncSession]) -> OutboxStatus:
    async with sessions() as session:
        backlog = await OutboxRepository(session).backlog()
    return OutboxStatus(
        pending=backlog.pending,
        oldest_pending_at=backlog.oldest_created_at,
        failing=backlog.failing,
        last_error=backlog.last_error,
        pending_by_origin=backlog.pending_by_origin,
    )
