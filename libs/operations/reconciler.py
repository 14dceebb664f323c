"""Intake's reconciler: its latest round, and the dossiers whose workflow is not confirmed."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.operations.report import ReconcilerStatus
from services.intake.reconciler import RECONCILER_NAME
from services.intake.repository import ApplicationRepository, ReconcilerStateRepository


async def collect_reconciler(sessions: async_sessionmaker[AsyncSession]) -> ReconcilerStatus:
    async with sessions() as session:
        state = await ReconcilerStateRepository(session).get(RECONCILER_NAME)
        unconfirmed, oldest = await ApplicationRepository(session).unconfirmed()
    if state is None:
        return ReconcilerStatus(unconfirmed=unconfirmed, oldest_unconfirmed_at=oldest)
    return ReconcilerStatus(
        last_run_at=state.last_run_at,
        last_checked=state.last_checked,
        last_republished=state.last_republished,
        last_temporal_unreachable=state.last_temporal_unreachable,
        republished_total=state.republished_total,
        unconfirmed=unconfirmed,
        oldest_unconfirmed_at=oldest,
    )
