"""Use cases of the contracts API: lists, one contract's view, its actions, the pay report
(no HTTP).

A contract's view joins the read model (timeline, the EIG's address) with the contract
workflow's snapshot when Temporal answers (status, terms and allowed actions are the workflow's:
it is the authority); without Temporal the read model answers alone, flagged as such.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.messages.contract_events import FINAL_CONTRACT_STATUSES, ContractStatus, ContractTerms
from libs.personal_data import (
    ANONYMISED,
    ERASED,
    PurgeReport,
    RetentionPolicy,
    erase_final_records,
)
from services.contracts.models import ContractRecord, ContractTimelineRecord
from services.contracts.read_model import erase_contract_contact
from services.contracts.schemas import (
    BandLine,
    PayCheck,
    PayReport,
    PromotionPayLines,
    StateSource,
    TimelineItem,
)
from workflows.client_errors import WorkflowsUnavailable
from workflows.contract.client import ContractWorkflows
from workflows.contract.models import (
    ContractAction,
    ContractActionRequest,
    ContractActionResult,
    ContractSnapshot,
)

PAY_REPORT_STATUSES: tuple[ContractStatus, ...] = tuple(
    status
    for status in ContractStatus
    if status not in (ContractStatus.DECLINED, ContractStatus.OFFER_EXPIRED)
)
"""The pay report counts every contract whose offer did not fail: drafted, offer_sent,
accepted, signed, active, renewal_due, renewed and ended (at its current version)."""

EVENT_KINDS: dict[str, Literal["status_changed", "offer_reminder", "renewal_decided"]] = {
    "ContractStatusChanged": "status_changed",
    "ContractOfferReminderDue": "offer_reminder",
    "ContractRenewalDecided": "renewal_decided",
}


@dataclass(frozen=True)
class ContractFilters:
    dossier_id: UUID | None = None
    status: ContractStatus | None = None
    promotion_number: int | None = None


@dataclass(frozen=True)
class ContractView:
    """One contract as the API shows it."""

    contract_id: UUID
    dossier_id: UUID
    status: ContractStatus
    terms: ContractTerms
    next_terms: ContractTerms | None
    renewal_decision: bool | None
    offer_expires_at: datetime | None
    eig_email: str | None
    updated_at: datetime | None
    timeline: list[TimelineItem]
    allowed_actions: list[str]
    state_source: StateSource


async def list_contracts(
    sessions: async_sessionmaker[AsyncSession],
    filters: ContractFilters,
    *,
    limit: int,
    offset: int,
) -> tuple[list[ContractRecord], int]:
    conditions = []
    if filters.dossier_id is not None:
        conditions.append(col(ContractRecord.dossier_id) == filters.dossier_id)
    if filters.status is not None:
        conditions.append(col(ContractRecord.status) == filters.status.value)
    if filters.promotion_number is not None:
        conditions.append(col(ContractRecord.promotion_number) == filters.promotion_number)
    async with sessions() as session:
        total = (
            await session.exec(select(func.count()).select_from(ContractRecord).where(*conditions))
        ).one()
        rows = await session.exec(
            select(ContractRecord)
            .where(*conditions)
            .order_by(col(ContractRecord.updated_at).desc(), col(ContractRecord.contract_id))
            .limit(limit)
            .offset(offset)
        )
        return list(rows.all()), int(total)


async def contract_view(
    sessions: async_sessionmaker[AsyncSession],
    workflows: ContractWorkflows,
    contract_id: UUID,
) -> ContractView | None:
    """The contract, or None if neither the read model nor the workflow knows it."""
    async with sessions() as session:
        record = await session.get(ContractRecord, contract_id)
        entries = list(
            (
                await session.exec(
                    select(ContractTimelineRecord)
                    .where(col(ContractTimelineRecord.contract_id) == contract_id)
                    .order_by(
                        col(ContractTimelineRecord.occurred_at),
                        col(ContractTimelineRecord.version),
                    )
                )
            ).all()
        )
    try:
        snapshot = await workflows.snapshot(contract_id)
    except WorkflowsUnavailable:
        snapshot = None  # Temporal unreachable: the read model still answers
    timeline = [_timeline_item(entry) for entry in entries]
    if snapshot is not None and snapshot.status is not None and snapshot.terms is not None:
        return _from_snapshot(snapshot, record, timeline)
    if record is None:
        return None
    return ContractView(
        contract_id=record.contract_id,
        dossier_id=record.dossier_id,
        status=ContractStatus(record.status),
        terms=ContractTerms.model_validate(record.terms),
        next_terms=ContractTerms.model_validate(record.next_terms) if record.next_terms else None,
        renewal_decision=record.renewal_decision,
        offer_expires_at=record.offer_expires_at,
        eig_email=record.contact_email,
        updated_at=record.updated_at,
        timeline=timeline,
        allowed_actions=[],
        state_source="read_model",
    )


def _from_snapshot(
    snapshot: ContractSnapshot, record: ContractRecord | None, timeline: list[TimelineItem]
) -> ContractView:
    assert snapshot.status is not None and snapshot.terms is not None
    if not timeline:
        # The read model has not caught up yet: the workflow's own history stands in.
        timeline = [
            TimelineItem(
                event="status_changed",
                status=entry.status,
                at=entry.at,
                action=entry.action,
                actor=entry.actor,
                actor_name=entry.actor_name,
                note=entry.note,
                version=entry.version,
            )
            for entry in snapshot.timeline
        ]
    decided = record is not None and record.version == snapshot.terms.version
    return ContractView(
        contract_id=snapshot.contract_id,
        dossier_id=snapshot.dossier_id,
        status=snapshot.status,
        terms=snapshot.terms,
        next_terms=snapshot.next_terms,
        renewal_decision=record.renewal_decision if record is not None and decided else None,
        offer_expires_at=snapshot.offer_expires_at,
        eig_email=record.contact_email if record is not None else None,
        updated_at=record.updated_at if record is not None else None,
        timeline=timeline,
        allowed_actions=list(snapshot.allowed_actions),
        state_source="workflow",
    )


def _timeline_item(entry: ContractTimelineRecord) -> TimelineItem:
    return TimelineItem(
        event=EVENT_KINDS.get(entry.event_type, "status_changed"),
        status=ContractStatus(entry.status),
        at=entry.occurred_at,
        action=entry.action,
        actor=entry.actor,
        actor_name=entry.actor_name,
        note=entry.note,
        version=entry.version,
        renew=entry.renew,
    )


async def apply_action(
    workflows: ContractWorkflows,
    contract_id: UUID,
    action: ContractAction,
    payload: dict[str, Any],
    *,
    actor: str,
    actor_name: str = "",
    update_id: str,
) -> ContractActionResult:
    """Ask the contract's workflow to take ``action`` (staff's or the EIG's answer); raises the
    client's refusals (:data:`services.action_refusals.REFUSALS`)."""
    request = ContractActionRequest(
        action=action.value, actor=actor, actor_name=actor_name, payload=payload
    )
    return await workflows.apply_action(contract_id, request, update_id=update_id)


async def pay_report(
    sessions: async_sessionmaker[AsyncSession], *, promotion_number: int | None = None
) -> PayReport:
    """Counts and amounts per promotion and band, from each contract's current version."""
    statement = select(ContractRecord).where(
        col(ContractRecord.status).in_([status.value for status in PAY_REPORT_STATUSES])
    )
    if promotion_number is not None:
        statement = statement.where(col(ContractRecord.promotion_number) == promotion_number)
    async with sessions() as session:
        records = list((await session.exec(statement)).all())
    by_band: dict[int, dict[str, list[ContractTerms]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        terms = ContractTerms.model_validate(record.terms)
        by_band[terms.promotion_number][terms.band].append(terms)
    promotions = []
    for number in sorted(by_band):
        bands = [_band_line(band, terms) for band, terms in _by_pay(by_band[number])]
        promotions.append(
            PromotionPayLines(
                promotion_number=number,
                bands=bands,
                contracts=sum(line.contracts for line in bands),
                annual_fixed_net_eur_total=sum(
                    (line.annual_fixed_net_eur_total for line in bands), Decimal(0)
                ),
                max_annual_variable_eur_total=sum(
                    (line.max_annual_variable_eur_total for line in bands), Decimal(0)
                ),
            )
        )
    return PayReport(counted_statuses=list(PAY_REPORT_STATUSES), promotions=promotions)


def _by_pay(bands: dict[str, list[ContractTerms]]) -> list[tuple[str, list[ContractTerms]]]:
    """Bands from the lowest pay to the highest (the policy's order), then by label."""
    return sorted(
        bands.items(), key=lambda item: (min(terms.monthly_net_eur for terms in item[1]), item[0])
    )


def _band_line(band: str, contracts: list[ContractTerms]) -> BandLine:
    monthly = sorted({terms.monthly_net_eur for terms in contracts})
    percents = sorted({terms.variable_percent for terms in contracts})
    identical = len(monthly) == 1 and len(percents) == 1
    return BandLine(
        band=band,
        contracts=len(contracts),
        monthly_net_eur=monthly[0] if identical else None,
        variable_percent=percents[0] if identical else None,
        annual_fixed_net_eur_total=sum(
            (terms.annual_fixed_net_eur for terms in contracts), Decimal(0)
        ),
        max_annual_variable_eur_total=sum(
            (terms.max_annual_variable_eur for terms in contracts), Decimal(0)
        ),
        check=PayCheck(
            identical=identical,
            monthly_net_eur_values=monthly,
            variable_percent_values=percents,
            pay_policy_versions=sorted({terms.pay_policy_version for terms in contracts}),
        ),
    )


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime
) -> PurgeReport:
    """Apply the retention policy to the contracts' tables (docs/DATA-PROTECTION.md):
    contracts final (ended, declined, lapsed) for longer than ``final_dossier_days`` lose the
    EIG's name, address and notes; terms and pay stay (the pay report counts them)."""
    return await erase_final_records(
        sessions,
        policy,
        now,
        record=ContractRecord,
        final_statuses=[status.value for status in FINAL_CONTRACT_STATUSES],
        erase_in=erase_in,
    )


async def erase_in(session: AsyncSession, dossier_ids: list[UUID], at: datetime) -> PurgeReport:
    """Blank the EIG's name and address (also inside the terms) and the timeline's notes of
    these candidates' contracts, in the caller's transaction."""
    report = PurgeReport()
    if not dossier_ids:
        return report
    rows = await session.exec(
        select(ContractRecord)
        .where(col(ContractRecord.dossier_id).in_(dossier_ids))
        .where(col(ContractRecord.personal_data_erased_at).is_(None))
    )
    contracts = list(rows.all())
    for contract in contracts:
        erase_contract_contact(contract)
        contract.personal_data_erased_at = at
        session.add(contract)
    report.add("contracts", ANONYMISED, len(contracts))
    if contracts:
        notes = await session.exec(
            update(ContractTimelineRecord)
            .where(
                col(ContractTimelineRecord.contract_id).in_(
                    [contract.contract_id for contract in contracts]
                )
            )
            .where(
                col(ContractTimelineRecord.note) != "", col(ContractTimelineRecord.note) != ERASED
            )
            .values(note=ERASED)
        )
        report.add("contract_timeline_entries", ANONYMISED, int(notes.rowcount))
    return report
