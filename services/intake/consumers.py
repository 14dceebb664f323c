"""Kafka entrypoint: keeps the applicants' status view up to date from ``eig.dossier-events``."""

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import CONSUMER_RETRY, Handler, subscribe_events
from libs.messages.dossier_events import DossierStatusChanged
from libs.messages.topics import DOSSIER_EVENTS, INTAKE_STATUS_VIEW_DLQ
from services.intake import metrics
from services.intake.read_model import record_dossier_event


def _count_dead_letter(_error: BaseException) -> None:
    metrics.STATUS_VIEW_EVENTS.labels(outcome="dead_lettered").inc()


def subscribe_status_view(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], *, group_id: str
) -> None:
    """Register the consumer; it runs once the broker starts.

    Only status changes make the applicant's timeline: staff-side events (deadline reminders)
    are skipped by the consumer policy. The offset is committed only after the view is written
    (or the message is dead-lettered as unreadable); database errors are retried
    (``CONSUMER_RETRY``, a few minutes), then the event is dead-lettered (replayable) rather
    than hold the partition forever.
    """

    async def on_status_changed(event: DossierStatusChanged) -> None:
        is_new = await record_dossier_event(sessions, event)
        metrics.STATUS_VIEW_EVENTS.labels(outcome="recorded" if is_new else "duplicate").inc()

    subscribe_events(
        broker,
        DOSSIER_EVENTS,
        [Handler(DossierStatusChanged, on_status_changed)],
        consumer="intake-status-view",
        group_id=group_id,
        dlq_topic=INTAKE_STATUS_VIEW_DLQ,
        retry=CONSUMER_RETRY,
        on_dead_letter=_count_dead_letter,
        description="Applicant status view: timeline and current status of each dossier",
    )
