"""Dossiers overdue at their stage (selection's read model) and contract offers about to lapse
(contracts' read model)."""

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.messages.contract_events import ContractStatus
from libs.operations.report import Deadlines, LapsingOffer, OverdueStage
from services.contracts.models import ContractRecord
from services.selection.models import StaffDossier

LAPSE_GRACE = timedelta(minutes=10)
"""How late an offer's lapse event may arrive before the open offer counts as stuck."""
MAX_OFFERS_LISTED = 50


async def collect_deadlines(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, offer_horizon: timedelta
) -> Deadlines:
    async with sessions() as session:
        overdue = await session.exec(
            select(
                StaffDossier.kind,
                StaffDossier.status,
                func.count(),
                func.min(StaffDossier.updated_at),
            )
            .where(col(StaffDossier.overdue).is_(True))
            .group_by(col(StaffDossier.kind), col(StaffDossier.status))
            .order_by(col(StaffDossier.kind), col(StaffDossier.status))
        )
        stages = [
            OverdueStage(kind=kind, status=status, count=count, oldest_since=oldest)
            for kind, status, count, oldest in overdue.all()
        ]
        open_offer = col(ContractRecord.status) == ContractStatus.OFFER_SENT.value
        expiry = col(ContractRecord.offer_expires_at)
        lapsing = await session.exec(
            select(ContractRecord.contract_number, ContractRecord.dossier_id, expiry)
            .where(open_offer, expiry >= now, expiry <= now + offer_horizon)
            .order_by(expiry)
            .limit(MAX_OFFERS_LISTED)
        )
        offers = [
            LapsingOffer(contract_number=number, dossier_id=str(dossier_id), expires_at=expires)
            for number, dossier_id, expires in lapsing.all()
        ]
        lapsed = await session.exec(
            select(func.count()).where(open_offer, expiry < now - LAPSE_GRACE)
        )
        return Deadlines(overdue=stages, lapsing_offers=offers, lapsed_open=int(lapsed.one()))
