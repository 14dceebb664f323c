"""Intake's reconciler: its latest round, and the dossiers whose workflow is not confirmed."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.operations.report import ReconcilerStatus
from services.intake.reconciler import RECONCILER_NAME
from services.intake.repository import ApplicationRepository, ReconcilerStateRepository

GIVEN_UP_LISTED = 20
"""Dossiers given up on named in the report, the most recent first (the count is complete)."""


async def collect_reconciler(sessions: async_sessionmaker[AsyncSession]) -> ReconcilerStatus:
    async with sessions() as session:
        state = await ReconcilerStateRepository(session).get(RECONCILER_NAME)
        unconfirmed, oldest = await ApplicationRepository(session).unconfirmed()
        given_up, given_up_dossiers = await ApplicationRepository(session).given_up(GIVEN_UP_LISTED)
    found = {
        "unconfirmed": unconfirmed,
        "oldest_unconfirmed_at": oldest,
        "given_up": given_up,
        "given_up_dossiers": given_up_dossiers,
    }
    if state is None:
        return ReconcilerStatus(**found)
    return ReconcilerStatus(
        last_run_at=state.last_run_at,
        last_checked=state.last_checked,
        last_republished=state.last_republished,
        last_temporal_unreachable=state.last_temporal_unreachable,
        republished_total=state.republished_total,
        **found,
    )
