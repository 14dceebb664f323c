"""The workflows process: Temporal worker, applications bridge, and health endpoints, wired once.

``run(settings)`` is the whole process; ``python -m workflows`` calls it with the environment's
settings and stops it on SIGINT/SIGTERM, tests call it with their own.
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from temporalio.client import Client
from temporalio.worker import Worker

from libs.broker_epoch import EpochWatcher, epoch_watcher
from libs.database import create_engine, is_sqlite, session_factory
from libs.http_service import listeners
from libs.kafka import RetryPolicy, create_broker, ensure_topics
from libs.kafka_connection import KafkaConnection
from libs.observability import ReadinessCheck, health_router
from libs.outbox.models import OutboxOrigin
from libs.outbox.relay import KafkaRecordPublisher, OutboxRelay, OutboxSignal
from libs.outbox.repository import purge_sent
from libs.outbox.writer import OutboxWriter
from libs.personal_data import purge_periodically
from libs.readiness import KafkaProbe, TemporalProbe
from libs.temporal import TemporalSecurity, connect
from libs.temporal_metrics import TemporalSdkMetrics
from libs.tracing import FASTAPI_NATIVE_TELEMETRY_OFF
from workflows.bridge import DossierDefaults, subscribe_bridge
from workflows.contract.activities import ContractActivities
from workflows.contract.workflows import CONTRACT_WORKFLOWS
from workflows.dossier.activities import DossierActivities
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.metrics import OUTBOX_METRICS
from workflows.promotion.activities import PromotionActivities
from workflows.promotion.seed import ensure_current_promotion
from workflows.promotion.workflows import PROMOTION_WORKFLOWS
from workflows.settings import WorkflowsSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_RETRY_POLICY = RetryPolicy(max_attempts=None, initial_delay=0.5, max_delay=10.0)
# Long enough for an in-flight publish to finish; an interrupted one is retried by the next
# worker with the same event id.
WORKER_GRACEFUL_SHUTDOWN = timedelta(seconds=10)


def build_worker(
    client: Client,
    task_queue: str,
    activities: DossierActivities,
    promotion_activities: PromotionActivities | None = None,
    contract_activities: ContractActivities | None = None,
) -> Worker:
    """A worker for every dossier, promotion and contract workflow and the activities they call.

    Contract workflows are children of candidate dossiers: they run on the same task queue.
    """
    promotion = promotion_activities or PromotionActivities(client)
    contract = contract_activities or ContractActivities(activities.events)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[*DOSSIER_WORKFLOWS.values(), *PROMOTION_WORKFLOWS, *CONTRACT_WORKFLOWS],
        activities=[*activities.activities(), *promotion.activities(), *contract.activities()],
        graceful_shutdown_timeout=WORKER_GRACEFUL_SHUTDOWN,
    )


async def connect_temporal(settings: WorkflowsSettings) -> Client:
    return await connect(
        settings.TEMPORAL_ADDRESS,
        settings.TEMPORAL_NAMESPACE,
        TemporalSecurity.from_settings(settings),
    )


class _HealthServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the process decides when everything stops.

    ``sockets``: the listeners of ``INTERNAL_PORT`` (libs.http_service.listeners), or None
    for the one address of its configuration."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket] | None) -> None:
        super().__init__(config)
        self.listening_sockets = sockets

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve_listeners(self) -> None:
        await self.serve(sockets=self.listening_sockets)


@dataclass
class _Outbox:
    """Where the activities put their events, and the relay that publishes them (ADR 14)."""

    writer: OutboxWriter
    relay: OutboxRelay
    watcher: EpochWatcher | None
    dispose: Callable[[], Awaitable[None]]
    tasks: list[asyncio.Task[None]]
    purge: Callable[[], Coroutine[Any, Any, None]] | None = None
    """The retention purge of this process's sent rows (docs/DATA-PROTECTION.md)."""

    def start(self) -> None:
        if self.watcher is not None:
            self.tasks.append(asyncio.create_task(self.watcher.run(), name="broker-epoch"))
        self.tasks.append(asyncio.create_task(self.relay.run(), name="workflows-outbox-relay"))
        if self.purge is not None:
            self.tasks.append(asyncio.create_task(self.purge(), name="workflows-retention"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.dispose()


def _outbox(settings: WorkflowsSettings) -> _Outbox:
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    signal = OutboxSignal()
    watcher = epoch_watcher(settings, on_change=lambda epoch: signal.notify())
    kafka = KafkaConnection.from_settings(settings)
    relay = OutboxRelay(
        sessions,
        # A producer of the relay's own, which it replaces when it keeps failing.
        KafkaRecordPublisher(
            lambda: create_broker(kafka, "eig-workflows-outbox"),
            before_connecting=lambda: ensure_topics(kafka),
        ),
        signal,
        metrics=OUTBOX_METRICS,
        skip_locked=not is_sqlite(settings.DATABASE_URL),
        origin=OutboxOrigin.WORKFLOWS,
        epochs=watcher,
        republish_window_seconds=settings.OUTBOX_REPUBLISH_WINDOW_SECONDS,
    )
    writer = OutboxWriter(sessions, signal, OutboxOrigin.WORKFLOWS)
    purge = None
    if settings.RETENTION_PURGE_INTERVAL_SECONDS:
        purge = partial(
            purge_periodically,
            "workflows",
            partial(purge_sent, origin=OutboxOrigin.WORKFLOWS),
            sessions,
            settings.retention_policy,
            settings.RETENTION_PURGE_INTERVAL_SECONDS,
        )
    return _Outbox(writer, relay, watcher, engine.dispose, [], purge)


@dataclass
class _Parts:
    """What ``run`` starts, in order, so that it can stop them in the reverse order."""

    broker: KafkaBroker
    outbox: _Outbox
    http: _HealthServer
    http_task: asyncio.Task[None]
    client: Client | None = None
    worker: Worker | None = None
    worker_task: asyncio.Task[None] | None = None
    seed_task: asyncio.Task[object] | None = None


async def run(
    settings: WorkflowsSettings,
    stop: asyncio.Event | None = None,
    *,
    sdk_metrics: TemporalSdkMetrics | None = None,
) -> None:
    """Run until ``stop`` is set (or the task is cancelled), then shut down in order.

    ``sdk_metrics``: the collector of the runtime the process's clients use, drained here.

    Consuming stops first, so no workflow is started while the worker drains; the outbox relay
    and the broker's producer close last, after the worker's in-flight activities wrote their
    events.
    """
    stop = stop or asyncio.Event()
    broker = create_broker(KafkaConnection.from_settings(settings), client_id="eig-workflows")
    parts: _Parts | None = None

    def connected_client() -> Client | None:
        return parts.client if parts is not None else None

    readiness: dict[str, ReadinessCheck] = {
        # Ready once the worker's own client is connected (None until then).
        "temporal": TemporalProbe(client=connected_client),
        "kafka": KafkaProbe(broker, timeout=2.0),
    }
    http = _health_server(settings, readiness)
    parts = _Parts(
        broker,
        _outbox(settings),
        http,
        asyncio.create_task(http.serve_listeners(), name="health-http"),
    )
    metrics_task = (
        None
        if sdk_metrics is None
        else asyncio.create_task(sdk_metrics.drain_forever(), name="temporal-sdk-metrics")
    )
    try:
        if await _start(parts, settings, stop):
            logger.info(
                "workflows running: task queue %s, bridge group %s",
                settings.TEMPORAL_TASK_QUEUE,
                settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP,
            )
            await _until_stopped_or_failed(parts, stop)
    finally:
        await _shut_down(parts)
        if metrics_task is not None:
            metrics_task.cancel()
            await asyncio.gather(metrics_task, return_exceptions=True)
    # A component that ended by itself (not on request) is a failure the supervisor must see.
    for task in (parts.worker_task, parts.http_task):
        if task is not None and task.done() and not task.cancelled() and task.exception():
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()
    if not stop.is_set():
        raise RuntimeError("a component of the workflows process stopped unexpectedly")


def _health_server(
    settings: WorkflowsSettings, readiness: dict[str, ReadinessCheck]
) -> _HealthServer:
    app = FastAPI(
        title="EIG workflows",
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_NATIVE_TELEMETRY_OFF,
    )
    app.include_router(health_router(readiness))
    served = listeners(
        app, host=settings.WORKFLOWS_HOST, port=settings.WORKFLOWS_PORT, settings=settings
    )
    return _HealthServer(served.config(access_log=False), served.sockets)


async def _start(parts: _Parts, settings: WorkflowsSettings, stop: asyncio.Event) -> bool:
    """Connect, subscribe the bridge, run the worker, seed the promotion, start consuming;
    False if stopped before everything was reachable."""
    client = await _until_reachable("Temporal", lambda: connect_temporal(settings), stop)
    if client is None:
        return False
    parts.client = client
    broker = parts.broker
    subscribe_bridge(
        broker,
        client,
        task_queue=settings.TEMPORAL_TASK_QUEUE,
        group_id=settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP,
        defaults=DossierDefaults.from_settings(settings),
    )
    if await _until_reachable("Kafka", broker.connect, stop) is None:
        return False
    parts.outbox.start()
    parts.worker = build_worker(
        client, settings.TEMPORAL_TASK_QUEUE, DossierActivities(parts.outbox.writer, client)
    )
    parts.worker_task = asyncio.create_task(parts.worker.run(), name="temporal-worker")
    # The current promotion exists (idempotent), retried in the background.
    parts.seed_task = asyncio.create_task(
        _until_reachable(
            "Current promotion",
            lambda: ensure_current_promotion(client, settings.TEMPORAL_TASK_QUEUE, settings),
            stop,
        ),
        name="seed-current-promotion",
    )
    await broker.start()
    return True


async def _until_stopped_or_failed(parts: _Parts, stop: asyncio.Event) -> None:
    assert parts.worker_task is not None
    stopping = asyncio.create_task(stop.wait(), name="stop-requested")
    try:
        await asyncio.wait(
            {stopping, parts.worker_task, parts.http_task}, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        stopping.cancel()


async def _shut_down(parts: _Parts) -> None:
    logger.info("workflows stopping")
    if parts.seed_task is not None:
        parts.seed_task.cancel()
        await asyncio.gather(parts.seed_task, return_exceptions=True)
    for subscriber in parts.broker.subscribers:
        await subscriber.stop()
    if parts.worker_task is not None:
        if not parts.worker_task.done() and parts.worker is not None:
            await parts.worker.shutdown()
        await asyncio.gather(parts.worker_task, return_exceptions=True)
    # After the worker drained: its last events are committed rows, relayed by the next start.
    await parts.outbox.stop()
    await parts.broker.stop()
    parts.http.should_exit = True
    await asyncio.gather(parts.http_task, return_exceptions=True)
    logger.info("workflows stopped")


async def _until_reachable(
    name: str, connect: Callable[[], Awaitable[T]], stop: asyncio.Event
) -> T | None:
    """Connect, retrying with backoff until it works; None if stopped meanwhile."""
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            connection = await connect()
        except Exception as error:  # noqa: BLE001 - any failure to connect is retried
            delay = CONNECT_RETRY_POLICY.delay(attempt)
            logger.warning(
                "%s unreachable (attempt %d: %s), retrying in %.1fs",
                name,
                attempt,
                type(error).__name__,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        else:
            if attempt > 1:
                logger.info("%s reachable after %d attempts", name, attempt)
            return connection
    return None
