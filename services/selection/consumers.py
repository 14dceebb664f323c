"""Kafka entrypoints: keep the staff read model up to date from applications and dossier events."""

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import RetryPolicy, subscribe_reliably
from libs.messages.applications import ApplicationSubmitted
from libs.messages.dossier_events import DossierDeadlinePassed, DossierEvent, DossierStatusChanged
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS, SELECTION_READ_MODEL_DLQ
from services.selection import metrics
from services.selection.metrics import ReadModelOutcome
from services.selection.read_model import (
    record_application,
    record_deadline_passed,
    record_status_change,
)

APPLICATION: TypeAdapter[ApplicationSubmitted] = TypeAdapter(ApplicationSubmitted)
DOSSIER_EVENT: TypeAdapter[DossierEvent] = TypeAdapter(DossierEvent)

Sessions = async_sessionmaker[AsyncSession]


def _outcome(changed: bool, unchanged: ReadModelOutcome) -> ReadModelOutcome:
    return ReadModelOutcome.APPLIED if changed else unchanged


async def apply_application(sessions: Sessions, body: bytes) -> None:
    """One message of the applications topic into the read model (raises if unreadable)."""
    changed = await record_application(sessions, APPLICATION.validate_json(body))
    metrics.count_read_model_event("application", _outcome(changed, ReadModelOutcome.DUPLICATE))


async def apply_dossier_event(sessions: Sessions, body: bytes) -> None:
    """One message of the dossier events topic into the read model (raises if unreadable)."""
    event = DOSSIER_EVENT.validate_json(body)
    if isinstance(event, DossierStatusChanged):
        changed = await record_status_change(sessions, event)
        # A status change is only ever left out when its event id was already read.
        outcome = _outcome(changed, ReadModelOutcome.DUPLICATE)
        metrics.count_read_model_event("status_changed", outcome)
    elif isinstance(event, DossierDeadlinePassed):
        changed = await record_deadline_passed(sessions, event)
        # Left out when already flagged, or when the dossier has moved on since.
        outcome = _outcome(changed, ReadModelOutcome.IGNORED)
        metrics.count_read_model_event("deadline_passed", outcome)


def _dead_lettered(_error: BaseException) -> None:
    metrics.READ_MODEL_DEAD_LETTERS.inc()


def subscribe_read_model(broker: KafkaBroker, sessions: Sessions, *, group_id: str) -> None:
    """Register both consumers; they run once the broker starts.

    Each topic gets its own group (``group_id`` and ``group_id-applications``), so a
    rebalance of one consumer never pauses the other. Manual acks after the write; database
    errors are retried without limit (holding the partition rather than skipping a change),
    unreadable messages go to the dead-letter topic.
    """

    async def on_application(body: bytes) -> None:
        await apply_application(sessions, body)

    async def on_dossier_event(body: bytes) -> None:
        await apply_dossier_event(sessions, body)

    subscribe_reliably(
        broker,
        APPLICATIONS,
        on_application,
        group_id=f"{group_id}-applications",
        dlq_topic=SELECTION_READ_MODEL_DLQ,
        retry=RetryPolicy(),
        on_dead_letter=_dead_lettered,
        title="selection-read-model-applications",
        description="Staff read model: each dossier's application",
    )
    subscribe_reliably(
        broker,
        DOSSIER_EVENTS,
        on_dossier_event,
        group_id=group_id,
        dlq_topic=SELECTION_READ_MODEL_DLQ,
        retry=RetryPolicy(),
        on_dead_letter=_dead_lettered,
        title="selection-read-model-dossier-events",
        description="Staff read model: status, round, overdue flag and timeline of each dossier",
    )
