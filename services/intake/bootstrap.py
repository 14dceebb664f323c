"""Wires intake's dependencies once, from settings; tests swap the adapters they need to."""

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, is_sqlite, session_factory
from libs.kafka import create_broker, keep_starting, try_starting
from libs.observability import ReadinessCheck
from libs.readiness import DatabaseProbe, KafkaProbe, TemporalProbe
from libs.temporal import TemporalConnection
from services.intake import models  # noqa: F401 - registers the tables on SQLModel.metadata
from services.intake.outbox import KafkaRecordPublisher, OutboxRelay, OutboxSignal, RecordPublisher
from services.intake.reconciler import (
    TEMPORAL_RPC_TIMEOUT,
    Reconciler,
    TemporalWorkflowLookup,
    WorkflowLookup,
)
from services.intake.settings import IntakeSettings
from services.intake.status_view import subscribe_status_view
from workflows.dossier.client import DossierWorkflows, TemporalDossierWorkflows

logger = logging.getLogger(__name__)

KAFKA_CLIENT_ID = "intake"


@dataclass
class Intake:
    """Everything intake's entrypoints use; built by :func:`bootstrap`, run by the app lifespan."""

    settings: IntakeSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox_signal: OutboxSignal
    broker: KafkaBroker | None
    temporal: TemporalConnection
    dossier_workflows: DossierWorkflows
    relay: OutboxRelay | None
    reconciler: Reconciler | None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def link_secret(self) -> str:
        return self.settings.DOSSIER_LINK_SECRET.get_secret_value()

    async def start(self) -> None:
        if self.settings.INTAKE_CREATE_TABLES:
            async with self.engine.begin() as connection:
                await connection.run_sync(SQLModel.metadata.create_all)
        if self.broker is not None and not await try_starting(self.broker):
            self._spawn(keep_starting(self.broker), "intake-broker-start")
        if self.relay is not None:
            self._spawn(self.relay.run(), "intake-outbox-relay")
        if self.reconciler is not None:
            self._spawn(self.reconciler.run(), "intake-reconciler")

    async def stop(self) -> None:
        for task in reversed(self._tasks):
            task.cancel()
        for task in reversed(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.broker is not None:
            await self.broker.stop()
        await self.engine.dispose()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        checks: dict[str, ReadinessCheck] = {"database": DatabaseProbe(self.engine)}
        if self.broker is not None:
            checks["kafka"] = KafkaProbe(self.broker)
        if self.reconciler is not None:
            checks["temporal"] = TemporalProbe(
                client=self.temporal.client, rpc_timeout=TEMPORAL_RPC_TIMEOUT
            )
        return checks


def bootstrap(
    settings: IntakeSettings,
    *,
    publisher: RecordPublisher | None = None,
    workflows: WorkflowLookup | None = None,
    dossier_workflows: DossierWorkflows | None = None,
) -> Intake:
    """Build intake from ``settings``. ``publisher``, ``workflows`` and ``dossier_workflows``
    replace the Kafka and Temporal adapters (tests); components disabled in settings are not
    built at all. Every Temporal adapter shares one connection (one client per process)."""
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    signal = OutboxSignal()
    temporal = TemporalConnection(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE)

    needs_broker = settings.STATUS_VIEW_ENABLED or (
        settings.OUTBOX_RELAY_ENABLED and publisher is None
    )
    broker = (
        create_broker(settings.KAFKA_BOOTSTRAP_SERVERS, KAFKA_CLIENT_ID) if needs_broker else None
    )
    if broker is not None and settings.STATUS_VIEW_ENABLED:
        subscribe_status_view(broker, sessions, group_id=settings.STATUS_VIEW_CONSUMER_GROUP)

    relay = None
    if settings.OUTBOX_RELAY_ENABLED:
        if publisher is None:
            assert broker is not None
            publisher = KafkaRecordPublisher(broker)
        relay = OutboxRelay(
            sessions,
            publisher,
            signal,
            skip_locked=not is_sqlite(settings.DATABASE_URL),
            batch_size=settings.OUTBOX_BATCH_SIZE,
            poll_seconds=settings.OUTBOX_POLL_SECONDS,
            max_backoff_seconds=settings.OUTBOX_MAX_BACKOFF_SECONDS,
        )

    reconciler = None
    if settings.RECONCILER_ENABLED:
        reconciler = Reconciler(
            sessions,
            workflows or TemporalWorkflowLookup(temporal),
            interval_seconds=settings.RECONCILE_INTERVAL_SECONDS,
            grace_seconds=settings.RECONCILE_GRACE_SECONDS,
            batch_size=settings.RECONCILE_BATCH_SIZE,
            on_republished=signal.notify,
        )

    return Intake(
        settings=settings,
        engine=engine,
        sessions=sessions,
        outbox_signal=signal,
        broker=broker,
        temporal=temporal,
        dossier_workflows=dossier_workflows or TemporalDossierWorkflows(temporal),
        relay=relay,
        reconciler=reconciler,
    )
