"""Kafka entrypoints: keep the applicants' status view up to date from ``eig.dossier-events``,
and the public results from ``eig.dossier-events`` and ``eig.contract-events``."""

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import CONSUMER_RETRY, Handler, subscribe_events
from libs.messages.contract_events import ContractRenewalDecided, ContractStatusChanged
from libs.messages.dossier_events import DossierStatusChanged
from libs.messages.topics import (
    CONTRACT_EVENTS,
    DOSSIER_EVENTS,
    INTAKE_STATUS_VIEW_DLQ,
    PUBLIC_RESULTS_DLQ,
)
from services.intake import metrics
from services.intake.read_model import (
    record_dossier_event,
    record_results_contract_event,
    record_results_dossier_event,
)


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


def _count_results_dead_letter(_error: BaseException) -> None:
    metrics.PUBLIC_RESULTS_EVENTS.labels(outcome="dead_lettered").inc()


def _count_results(counted: bool) -> None:
    metrics.PUBLIC_RESULTS_EVENTS.labels(outcome="counted" if counted else "not_counted").inc()


def subscribe_public_results(
    broker: KafkaBroker,
    sessions: async_sessionmaker[AsyncSession],
    *,
    group_id: str,
    contracts_group_id: str,
    default_promotion: int,
) -> None:
    """Register the public results' two consumers (one group per topic, so each keeps its own
    offsets), with the status view's policy: the offset is committed once the rows are written,
    database errors are retried, then the event is dead-lettered (replayable)."""

    async def on_status_changed(event: DossierStatusChanged) -> None:
        _count_results(
            await record_results_dossier_event(sessions, event, default_promotion=default_promotion)
        )

    async def on_contract_event(event: ContractStatusChanged | ContractRenewalDecided) -> None:
        _count_results(await record_results_contract_event(sessions, event))

    subscribe_events(
        broker,
        DOSSIER_EVENTS,
        [Handler(DossierStatusChanged, on_status_changed)],
        consumer="intake-public-results",
        group_id=group_id,
        dlq_topic=PUBLIC_RESULTS_DLQ,
        retry=CONSUMER_RETRY,
        on_dead_letter=_count_results_dead_letter,
        description="Public results: applications received, partnerships signed, seats",
    )
    subscribe_events(
        broker,
        CONTRACT_EVENTS,
        [
            Handler(ContractStatusChanged, on_contract_event),
            Handler(ContractRenewalDecided, on_contract_event),
        ],
        consumer="intake-public-results-contracts",
        group_id=contracts_group_id,
        dlq_topic=PUBLIC_RESULTS_DLQ,
        retry=CONSUMER_RETRY,
        on_dead_letter=_count_results_dead_letter,
        description="Public results: EIG recruited by role and pay band, contracts renewed",
    )
