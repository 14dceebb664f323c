"""Kafka entrypoints: keep the staff read model up to date from applications and dossier events."""

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import CONSUMER_RETRY, Handler, subscribe_events
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.dossier_events import DossierDeadlinePassed, DossierStatusChanged
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS, SELECTION_READ_MODEL_DLQ
from services.selection import metrics
from services.selection.metrics import ReadModelOutcome
from services.selection.read_model import (
    record_application,
    record_deadline_passed,
    record_status_change,
)

Sessions = async_sessionmaker[AsyncSession]


def _outcome(changed: bool, unchanged: ReadModelOutcome) -> ReadModelOutcome:
    return ReadModelOutcome.APPLIED if changed else unchanged


async def apply_application(
    sessions: Sessions, event: CandidateApplicationSubmitted | ProjectApplicationSubmitted
) -> None:
    changed = await record_application(sessions, event)
    metrics.count_read_model_event("application", _outcome(changed, ReadModelOutcome.DUPLICATE))


async def apply_status_change(sessions: Sessions, event: DossierStatusChanged) -> None:
    changed = await record_status_change(sessions, event)
    # A status change is only ever left out when its event id was already read.
    metrics.count_read_model_event("status_changed", _outcome(changed, ReadModelOutcome.DUPLICATE))


async def apply_deadline_passed(sessions: Sessions, event: DossierDeadlinePassed) -> None:
    changed = await record_deadline_passed(sessions, event)
    # Left out when already flagged, or when the dossier has moved on since.
    metrics.count_read_model_event("deadline_passed", _outcome(changed, ReadModelOutcome.IGNORED))


def _dead_lettered(_error: BaseException) -> None:
    metrics.READ_MODEL_DEAD_LETTERS.inc()


def subscribe_read_model(broker: KafkaBroker, sessions: Sessions, *, group_id: str) -> None:
    """Register both consumers; they run once the broker starts.

    Each topic gets its own group (``group_id`` and ``group_id-applications``), so a
    rebalance of one consumer never pauses the other. Manual acks after the write; database
    errors are retried (``CONSUMER_RETRY``, a few minutes), then the event is dead-lettered
    (replayable) rather than hold the partition forever; unreadable messages go to the
    dead-letter topic at once.
    """

    async def on_application(
        event: CandidateApplicationSubmitted | ProjectApplicationSubmitted,
    ) -> None:
        await apply_application(sessions, event)

    async def on_status_changed(event: DossierStatusChanged) -> None:
        await apply_status_change(sessions, event)

    async def on_deadline_passed(event: DossierDeadlinePassed) -> None:
        await apply_deadline_passed(sessions, event)

    subscribe_events(
        broker,
        APPLICATIONS,
        [
            Handler(CandidateApplicationSubmitted, on_application),
            Handler(ProjectApplicationSubmitted, on_application),
        ],
        consumer="selection-read-model-applications",
        group_id=f"{group_id}-applications",
        dlq_topic=SELECTION_READ_MODEL_DLQ,
        retry=CONSUMER_RETRY,
        on_dead_letter=_dead_lettered,
        description="Staff read model: each dossier's application",
    )
    subscribe_events(
        broker,
        DOSSIER_EVENTS,
        [
            Handler(DossierStatusChanged, on_status_changed),
            Handler(DossierDeadlinePassed, on_deadline_passed),
        ],
        consumer="selection-read-model-dossier-events",
        group_id=group_id,
        dlq_topic=SELECTION_READ_MODEL_DLQ,
        retry=CONSUMER_RETRY,
        on_dead_letter=_dead_lettered,
        description="Staff read model: status, round, overdue flag and timeline of each dossier",
    )
