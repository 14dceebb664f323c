"""Projects contract events into the contracts read model (replay-safe, order-safe).

Every event is kept once in the timeline (deduplicated on ``event_id``), so replaying the
topic changes nothing. The contract row only moves forward: an event applies to it when its
(version, occurred_at) is at least the row's, so an older event read late goes to the timeline
but never moves a contract back. Reminders and renewal decisions imply a status (``offer_sent``,
``renewal_due``) but move the row only when strictly newer, so they never undo a status change
that happened at the same workflow time.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.common import Contact
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from libs.personal_data import ERASED, erased_text
from services.contracts.models import ContractRecord, ContractTimelineRecord

ContractEventModel = ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided


async def record_contract_event(
    sessions: async_sessionmaker[AsyncSession], event: ContractEventModel
) -> bool:
    """Add the event to the timeline and, if newer, to its contract's row; False if seen."""
    async with transaction(sessions) as session:
        if await session.get(ContractTimelineRecord, event.event_id) is not None:
            return False
        record = await session.get(ContractRecord, event.contract_id)
        entry = _timeline_entry(event, record)
        if record is not None and record.personal_data_erased_at is not None:
            entry.note = erased_text(entry.note)
        session.add(entry)
        if isinstance(event, ContractStatusChanged):
            record = _project(
                record,
                event,
                event.status,
                strictly_newer=False,
                offer_expires_at=event.offer_expires_at,
            )
        elif isinstance(event, ContractOfferReminderDue):
            record = _project(
                record,
                event,
                ContractStatus.OFFER_SENT,
                strictly_newer=True,
                offer_expires_at=event.offer_expires_at,
            )
        else:
            # A decision may be taken early (signed, active): it never moves the status; the
            # status event that follows a "yes" (renewed) does.
            record = _project(
                record,
                event,
                ContractStatus(record.status) if record is not None else ContractStatus.RENEWAL_DUE,
                strictly_newer=True,
                offer_expires_at=None,
            )
            if record.version == event.terms.version:
                record.renewal_decision = event.renew
                record.next_terms = (
                    event.next_terms.model_dump(mode="json") if event.next_terms else None
                )
        if record.personal_data_erased_at is not None:
            # An event read after the erasure (in flight at the time) brings the name back.
            erase_contract_contact(record)
        session.add(record)
        return True


def _project(
    record: ContractRecord | None,
    event: ContractEventModel,
    status: ContractStatus,
    *,
    strictly_newer: bool,
    offer_expires_at: datetime | None,
) -> ContractRecord:
    """The row after ``event`` (a new one if there was none): moved to ``status`` and the
    event's terms if the event is newer than what the row shows."""
    terms, contact = event.terms, event.contact
    if record is None:
        record = ContractRecord(
            contract_id=event.contract_id,
            dossier_id=event.dossier_id,
            status=status.value,
            updated_at=event.occurred_at,
            offer_expires_at=offer_expires_at,
            **_terms_columns(terms, contact),
        )
        return record
    event_order = (terms.version, event.occurred_at)
    row_order = (record.version, record.updated_at)
    newer = event_order > row_order if strictly_newer else event_order >= row_order
    if not newer:
        return record
    if terms.version > record.version:
        # A new term: the renewal decision about the previous one is history (timeline).
        record.next_terms = None
        record.renewal_decision = None
    for name, value in _terms_columns(terms, contact).items():
        setattr(record, name, value)
    record.status = status.value
    record.updated_at = event.occurred_at
    if offer_expires_at is not None:
        record.offer_expires_at = offer_expires_at
    return record


def _terms_columns(terms: ContractTerms, contact: Contact) -> dict[str, Any]:
    return {
        "contract_number": terms.contract_number,
        "version": terms.version,
        "promotion_number": terms.promotion_number,
        "band": terms.band,
        "eig_name": terms.eig_name,
        "contact_email": str(contact.email),
        "host_administration": terms.host_administration,
        "project_title": terms.project_title,
        "start_on": terms.start_on,
        "end_on": terms.end_on,
        "terms": terms.model_dump(mode="json"),
    }


def _timeline_entry(
    event: ContractEventModel, record: ContractRecord | None
) -> ContractTimelineRecord:
    entry = ContractTimelineRecord(
        event_id=event.event_id,
        contract_id=event.contract_id,
        event_type=event.type,
        status=ContractStatus.OFFER_SENT.value,
        version=event.terms.version,
        occurred_at=event.occurred_at,
    )
    if isinstance(event, ContractStatusChanged):
        entry.status = event.status.value
        entry.action, entry.actor, entry.note = event.action, event.actor, event.note
        entry.actor_name = event.actor_name
    elif isinstance(event, ContractRenewalDecided):
        # Decided in whatever status the contract was in (signed, active or renewal_due).
        entry.status = record.status if record is not None else ContractStatus.RENEWAL_DUE.value
        entry.action, entry.actor, entry.note = "decide_renewal", event.actor, event.note
        entry.actor_name = event.actor_name
        entry.renew = event.renew
    return entry


def erase_contract_contact(contract: ContractRecord) -> None:
    """The row without the EIG's name and address (the read model calls it again on an event
    that arrives after the erasure)."""
    contract.eig_name = ERASED
    contract.contact_email = ERASED
    contract.terms = {**contract.terms, "eig_name": ERASED}
    if contract.next_terms is not None:
        contract.next_terms = {**contract.next_terms, "eig_name": ERASED}
