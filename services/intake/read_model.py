"""Projects events into intake's read tables (replay-safe, order-safe).

* The applicants' status view: each dossier event is kept once in the timeline (deduplicated on
  ``event_id``), so replaying the topic changes nothing; the current status only moves to a
  newer status change.
* The public results (``GET /resultats``): dossier and contract events, deduplicated on
  ``event_id`` too, each written to rows keyed by what they count (dossier, contract, renewed
  term), so even an event counted twice would count once.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.common import DossierKind
from libs.messages.contract_events import (
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
)
from libs.messages.dossier_events import Detail, DossierStatus, DossierStatusChanged
from libs.personal_data import erased_text
from libs.wording import parse_day
from services.intake.domain import as_utc
from services.intake.models import (
    DossierStatusView,
    DossierTimelineEntry,
    PublicResultsContract,
    PublicResultsDossier,
    PublicResultsRenewal,
)
from services.intake.repository import (
    ApplicationRepository,
    PublicResultsRepository,
    StatusViewRepository,
)


async def record_dossier_event(
    sessions: async_sessionmaker[AsyncSession], event: DossierStatusChanged
) -> bool:
    """Add the event to its dossier's timeline and move the status forward if it is newer.

    Returns False for an event already recorded: a replayed topic changes nothing.
    """
    async with transaction(sessions) as session:
        views = StatusViewRepository(session)
        application = await ApplicationRepository(session).get(event.dossier_id)
        # An event read after an erasure (in flight at the time) adds no free text.
        erased = application is not None and application.personal_data_erased_at is not None
        is_new = await views.add_timeline_entry(
            DossierTimelineEntry(
                event_id=event.event_id,
                dossier_id=event.dossier_id,
                status=event.status.value,
                occurred_at=as_utc(event.occurred_at),
                # PostgreSQL cannot store NUL; refusing the event would block its partition.
                note=erased_text(event.note) if erased else event.note.replace("\x00", ""),
            )
        )
        if is_new:
            await views.advance(
                DossierStatusView(
                    dossier_id=event.dossier_id,
                    status=event.status.value,
                    updated_at=datetime.now(UTC),
                    last_event_at=as_utc(event.occurred_at),
                )
            )
    return is_new


def _text(value: str, max_length: int) -> str:
    # PostgreSQL cannot store NUL; refusing the event would block its partition.
    return value.replace("\x00", "")[:max_length]


def seat_cap(details: dict[str, str]) -> int | None:
    """The cap in a selection's ``seats`` detail (``12/30``); None when absent or unreadable."""
    _taken, slash, cap = details.get(Detail.SEATS, "").partition("/")
    return int(cap) if slash and cap.strip().isdigit() else None


async def record_results_dossier_event(
    sessions: async_sessionmaker[AsyncSession],
    event: DossierStatusChanged,
    *,
    default_promotion: int,
) -> bool:
    """Count a dossier status change in the public results; False for a replayed event.

    ``default_promotion`` stands for the promotion of events from before schema version 2,
    which did not carry it (there was one promotion on the platform then).
    """
    promotion = event.promotion_number or default_promotion
    occurred_at = as_utc(event.occurred_at)
    signed = event.kind == DossierKind.PROJECT and event.status == DossierStatus.PARTNERSHIP_SIGNED
    async with transaction(sessions) as session:
        results = PublicResultsRepository(session)
        if not await results.mark_recorded(event.event_id, datetime.now(UTC)):
            return False
        await results.record_dossier(
            PublicResultsDossier(
                dossier_id=event.dossier_id,
                promotion_number=promotion,
                kind=event.kind.value,
                received_at=occurred_at if event.status == DossierStatus.RECEIVED else None,
                status=event.status.value,
                status_at=occurred_at,
                partnership_signed_at=occurred_at if signed else None,
                partnership_signed_on=parse_day(event.details.get(Detail.SIGNED_ON, ""))
                if signed
                else None,
                project_title=_text(event.title, 200) if signed else "",
                administration_name=_text(event.administration_name, 200) if signed else "",
            )
        )
        cap = seat_cap(event.details)
        if cap is not None:
            await results.record_seat_cap(promotion, cap, occurred_at)
    return True


async def record_results_contract_event(
    sessions: async_sessionmaker[AsyncSession],
    event: ContractStatusChanged | ContractRenewalDecided,
) -> bool:
    """Count a signed contract (an EIG recruited) or a renewal; False for a replayed event
    and for the contract events that count nothing (offers, other steps, a renewal refused)."""
    if isinstance(event, ContractStatusChanged):
        counts = event.status == ContractStatus.SIGNED
    else:
        counts = event.renew
    if not counts:
        return False
    terms = event.terms
    async with transaction(sessions) as session:
        results = PublicResultsRepository(session)
        if not await results.mark_recorded(event.event_id, datetime.now(UTC)):
            return False
        if isinstance(event, ContractStatusChanged):
            await results.record_signed_contract(
                PublicResultsContract(
                    contract_id=event.contract_id,
                    promotion_number=terms.promotion_number,
                    role=terms.role.value if terms.role is not None else "",
                    band=_text(terms.band, 64),
                    signed_at=as_utc(event.occurred_at),
                )
            )
        else:
            await results.record_renewal(
                PublicResultsRenewal(
                    contract_id=event.contract_id,
                    version=terms.version,
                    promotion_number=terms.promotion_number,
                    decided_at=as_utc(event.occurred_at),
                )
            )
    return True
