"""Kafka entrypoint: keeps the applicants' status view up to date from ``eig.dossier-events``."""

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import RetryPolicy, subscribe_reliably
from libs.messages.dossier_events import DossierEvent, DossierStatusChanged
from libs.messages.topics import DOSSIER_EVENTS, INTAKE_STATUS_VIEW_DLQ
from services.intake import metrics
from services.intake.service_layer import record_dossier_event

DOSSIER_EVENT: TypeAdapter[DossierEvent] = TypeAdapter(DossierEvent)


def _count_dead_letter(_error: BaseException) -> None:
    metrics.STATUS_VIEW_EVENTS.labels(outcome="dead_lettered").inc()


def subscribe_status_view(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], *, group_id: str
) -> None:
    """Register the consumer; it runs once the broker starts.

    Manual acks: the offset is committed only after the view is written (or the message is
    dead-lettered as unreadable); database errors are retried without limit, holding the
    partition rather than skipping a status change.
    """

    async def on_dossier_event(body: bytes) -> None:
        event = DOSSIER_EVENT.validate_json(body)
        if not isinstance(event, DossierStatusChanged):
            return  # staff-side events (deadline reminders) are not the applicant's timeline
        is_new = await record_dossier_event(sessions, event)
        metrics.STATUS_VIEW_EVENTS.labels(outcome="recorded" if is_new else "duplicate").inc()

    subscribe_reliably(
        broker,
        DOSSIER_EVENTS,
        on_dossier_event,
        group_id=group_id,
        dlq_topic=INTAKE_STATUS_VIEW_DLQ,
        retry=RetryPolicy(),
        on_dead_letter=_count_dead_letter,
        title="intake-status-view",
        description="Applicant status view: timeline and current status of each dossier",
    )
