"""Wires intake's dependencies once, from settings; tests swap the adapters they need to."""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.broker_epoch import EpochWatcher, epoch_watcher
from libs.database import create_engine, is_sqlite, session_factory
from libs.dossier_links import LinkKeys
from libs.http_service import BrokeredParts
from libs.kafka import create_broker, ensure_topics
from libs.kafka_connection import KafkaConnection
from libs.observability import ReadinessCheck
from libs.operations.kafka_lag import export_consumer_lag
from libs.outbox.relay import KafkaRecordPublisher, OutboxRelay, OutboxSignal, RecordPublisher
from libs.personal_data import purge_periodically
from libs.readiness import TemporalProbe
from libs.temporal import TemporalConnection
from services.intake import (
    metrics,
    models,  # noqa: F401 - registers the tables on SQLModel.metadata
    service_layer,
)
from services.intake.consumers import subscribe_public_results, subscribe_status_view
from services.intake.promotion_calendar import DirectoryPromotionCalendar, PromotionCalendar
from services.intake.rate_limits import Limit, RateLimiter
from services.intake.reconciler import (
    TEMPORAL_RPC_TIMEOUT,
    Reconciler,
    TemporalWorkflowLookup,
    WorkflowLookup,
)
from services.intake.service_layer import purge_unconfirmed
from services.intake.settings import IntakeSettings
from workflows.dossier.client import DossierWorkflows, TemporalDossierWorkflows
from workflows.promotion.client import TemporalPromotionDirectory

logger = logging.getLogger(__name__)

KAFKA_CLIENT_ID = "intake"


@dataclass
class Intake(BrokeredParts):
    """Everything intake's entrypoints use; built by :func:`bootstrap`, run by the app lifespan."""

    settings: IntakeSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox_signal: OutboxSignal
    broker: KafkaBroker | None
    temporal: TemporalConnection
    dossier_workflows: DossierWorkflows
    promotion_calendar: PromotionCalendar
    relay: OutboxRelay | None
    epoch_watcher: EpochWatcher | None
    reconciler: Reconciler | None
    rate_limiter: RateLimiter | None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def link_keys(self) -> LinkKeys:
        return self.settings.link_keys

    async def start(self) -> None:
        await self.start_parts(
            name=KAFKA_CLIENT_ID, create_tables=self.settings.INTAKE_CREATE_TABLES
        )
        if self.epoch_watcher is not None:
            self.spawn(self.epoch_watcher.run(), "intake-broker-epoch")
        if self.relay is not None:
            self.spawn(self.relay.run(), "intake-outbox-relay")
        if self.reconciler is not None:
            self.spawn(self.reconciler.run(), "intake-reconciler")
        if self.settings.RETENTION_PURGE_INTERVAL_SECONDS:
            purge = purge_periodically(
                "intake",
                service_layer.purge_expired,
                self.sessions,
                self.settings.retention_policy,
                self.settings.RETENTION_PURGE_INTERVAL_SECONDS,
            )
            self.spawn(purge, "intake-retention")
        if self.settings.APPLICATION_CONFIRMATION_PURGE_ENABLED:
            self.spawn(self.purge_expired_periodically(), "intake-confirmation-purge")
        if self.broker is not None and self.settings.KAFKA_LAG_EXPORT_ENABLED:
            self.spawn(
                export_consumer_lag(
                    KafkaConnection.from_settings(self.settings),
                    self.settings.KAFKA_LAG_EXPORT_SECONDS,
                ),
                "intake-consumer-lag",
            )

    async def purge_expired_periodically(self) -> None:
        """Purge the applications not confirmed in time, then again every interval."""
        while True:
            try:
                await purge_unconfirmed(
                    self.sessions, confirmation_delay=self.settings.confirmation_delay
                )
            except Exception as error:  # noqa: BLE001 - database unreachable: next round
                logger.warning("confirmation purge failed: %s", type(error).__name__)
            await asyncio.sleep(self.settings.APPLICATION_CONFIRMATION_PURGE_INTERVAL_SECONDS)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        checks = self.parts_checks()
        if self.reconciler is not None:
            checks["temporal"] = TemporalProbe(
                client=self.temporal.client, rpc_timeout=TEMPORAL_RPC_TIMEOUT
            )
        return checks


def outbox_relay(
    settings: IntakeSettings,
    sessions: async_sessionmaker[AsyncSession],
    publisher: RecordPublisher,
    signal: OutboxSignal,
    epochs: EpochWatcher | None,
) -> OutboxRelay:
    return OutboxRelay(
        sessions,
        publisher,
        signal,
        metrics=metrics.OUTBOX_METRICS,
        # SQLite has no row locks (nor SKIP LOCKED), and one writer at a time anyway.
        skip_locked=not is_sqlite(settings.DATABASE_URL),
        epochs=epochs,
        republish_window_seconds=settings.OUTBOX_REPUBLISH_WINDOW_SECONDS,
        batch_size=settings.OUTBOX_BATCH_SIZE,
        poll_seconds=settings.OUTBOX_POLL_SECONDS,
        max_backoff_seconds=settings.OUTBOX_MAX_BACKOFF_SECONDS,
    )


def rate_limiter(
    settings: IntakeSettings, sessions: async_sessionmaker[AsyncSession]
) -> RateLimiter:
    return RateLimiter(
        sessions,
        key=settings.link_keys.derived_secret("intake-rate-limits").encode(),
        per_address=Limit(
            settings.RATE_LIMIT_PER_ADDRESS,
            timedelta(seconds=settings.RATE_LIMIT_ADDRESS_WINDOW_SECONDS),
        ),
        per_email=Limit(
            settings.RATE_LIMIT_PER_EMAIL,
            timedelta(seconds=settings.RATE_LIMIT_EMAIL_WINDOW_SECONDS),
        ),
    )


def workflow_reconciler(
    settings: IntakeSettings,
    sessions: async_sessionmaker[AsyncSession],
    workflows: WorkflowLookup,
    signal: OutboxSignal,
) -> Reconciler:
    return Reconciler(
        sessions,
        workflows,
        interval_seconds=settings.RECONCILE_INTERVAL_SECONDS,
        grace_seconds=settings.RECONCILE_GRACE_SECONDS,
        batch_size=settings.RECONCILE_BATCH_SIZE,
        max_republishes=settings.RECONCILE_MAX_REPUBLISHES,
        # A republished submission is relayed at once rather than at the next poll.
        on_republished=signal.notify,
    )


def bootstrap(
    settings: IntakeSettings,
    *,
    publisher: RecordPublisher | None = None,
    workflows: WorkflowLookup | None = None,
    dossier_workflows: DossierWorkflows | None = None,
    promotion_calendar: PromotionCalendar | None = None,
) -> Intake:
    """Build intake from ``settings``. ``publisher``, ``workflows``, ``dossier_workflows`` and
    ``promotion_calendar`` replace the Kafka and Temporal adapters (tests); components disabled
    in settings are not built at all. Every Temporal adapter shares one connection (one client
    per process)."""
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    signal = OutboxSignal()
    temporal = TemporalConnection.from_settings(settings)
    kafka = KafkaConnection.from_settings(settings)

    needs_broker = (
        settings.STATUS_VIEW_ENABLED
        or settings.PUBLIC_RESULTS_ENABLED
        or (settings.OUTBOX_RELAY_ENABLED and publisher is None)
    )
    broker = create_broker(kafka, KAFKA_CLIENT_ID) if needs_broker else None
    if broker is not None and settings.STATUS_VIEW_ENABLED:
        subscribe_status_view(broker, sessions, group_id=settings.STATUS_VIEW_CONSUMER_GROUP)
    if broker is not None and settings.PUBLIC_RESULTS_ENABLED:
        subscribe_public_results(
            broker,
            sessions,
            group_id=settings.PUBLIC_RESULTS_CONSUMER_GROUP,
            contracts_group_id=settings.PUBLIC_RESULTS_CONTRACTS_CONSUMER_GROUP,
            default_promotion=settings.CURRENT_PROMOTION_NUMBER,
        )

    relay = watcher = None
    if settings.OUTBOX_RELAY_ENABLED:
        if publisher is None:
            # A producer of the relay's own, which it replaces when it keeps failing.
            publisher = KafkaRecordPublisher(
                lambda: create_broker(kafka, f"{KAFKA_CLIENT_ID}-outbox"),
                before_connecting=lambda: ensure_topics(kafka),
            )
            # A new epoch wakes the relay, which publishes again what the broker lost.
            watcher = epoch_watcher(settings, on_change=lambda epoch: signal.notify())
        relay = outbox_relay(settings, sessions, publisher, signal, watcher)
    reconciler = None
    if settings.RECONCILER_ENABLED:
        lookup = workflows or TemporalWorkflowLookup(temporal)
        reconciler = workflow_reconciler(settings, sessions, lookup, signal)

    return Intake(
        settings=settings,
        engine=engine,
        sessions=sessions,
        outbox_signal=signal,
        broker=broker,
        temporal=temporal,
        dossier_workflows=dossier_workflows or TemporalDossierWorkflows(temporal),
        promotion_calendar=promotion_calendar
        or DirectoryPromotionCalendar(
            TemporalPromotionDirectory(temporal, settings.TEMPORAL_TASK_QUEUE),
            settings.CURRENT_PROMOTION_NUMBER,
        ),
        relay=relay,
        epoch_watcher=watcher,
        reconciler=reconciler,
        rate_limiter=rate_limiter(settings, sessions) if settings.RATE_LIMIT_ENABLED else None,
    )
