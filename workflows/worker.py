"""The workflows process: Temporal worker, applications bridge, and health endpoints, wired once.

``run(settings)`` is the whole process; ``python -m workflows`` calls it with the environment's
settings and stops it on SIGINT/SIGTERM, tests call it with their own.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.worker import Worker

from libs.kafka import RetryPolicy, create_broker
from libs.observability import ReadinessCheck, health_router
from libs.readiness import KafkaProbe, TemporalProbe
from libs.temporal import connect
from workflows.bridge import DossierDefaults, subscribe_bridge
from workflows.contract.activities import ContractActivities
from workflows.contract.workflows import CONTRACT_WORKFLOWS
from workflows.dossier.activities import DossierActivities
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.promotion.activities import PromotionActivities
from workflows.promotion.seed import ensure_current_promotion
from workflows.promotion.workflows import PromotionWorkflow
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
    # --- promotion (seats and rounds) ---
    promotion = promotion_activities or PromotionActivities(client)
    promotion_workflows: list[type] = [PromotionWorkflow]
    promotion_activity_methods: list[Callable[..., Any]] = [
        promotion.enrol_in_round,
        promotion.leave_round,
        promotion.reserve_seat,
        promotion.release_seat,
        promotion.allocate_contract_number,
    ]
    # --- end promotion ---
    contract = contract_activities or ContractActivities(activities.broker)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[*DOSSIER_WORKFLOWS.values(), *promotion_workflows, *CONTRACT_WORKFLOWS],
        activities=[
            activities.publish_status_change,
            activities.publish_deadline_passed,
            activities.describe_dossier,
            *promotion_activity_methods,
            *contract.activities(),
        ],
        graceful_shutdown_timeout=WORKER_GRACEFUL_SHUTDOWN,
    )


async def connect_temporal(settings: WorkflowsSettings) -> Client:
    return await connect(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE)


class _HealthServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the process decides when everything stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run(settings: WorkflowsSettings, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or the task is cancelled), then shut down in order.

    Consuming stops first, so no workflow is started while the worker drains; the broker's
    producer closes last, after the worker's in-flight activities have published.
    """
    stop = stop or asyncio.Event()
    broker = create_broker(settings.KAFKA_BOOTSTRAP_SERVERS, client_id="eig-workflows")
    client: Client | None = None

    readiness: dict[str, ReadinessCheck] = {
        # Ready once the worker's own client is connected (None until then).
        "temporal": TemporalProbe(client=lambda: client),
        "kafka": KafkaProbe(broker, timeout=2.0),
    }
    app = FastAPI(title="EIG workflows", docs_url=None, redoc_url=None)
    app.include_router(health_router(readiness))
    http = _HealthServer(
        uvicorn.Config(
            app,
            host=settings.WORKFLOWS_HOST,
            port=settings.WORKFLOWS_PORT,
            log_config=None,
            access_log=False,
        )
    )
    http_task = asyncio.create_task(http.serve(), name="health-http")
    worker_task: asyncio.Task[None] | None = None
    seed_task: asyncio.Task[object] | None = None  # promotion
    try:
        client = await _until_reachable("Temporal", lambda: connect_temporal(settings), stop)
        if client is None:
            return
        subscribe_bridge(
            broker,
            client,
            task_queue=settings.TEMPORAL_TASK_QUEUE,
            group_id=settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP,
            defaults=DossierDefaults.from_settings(settings),
        )
        if await _until_reachable("Kafka", broker.connect, stop) is None:
            return
        worker = build_worker(
            client, settings.TEMPORAL_TASK_QUEUE, DossierActivities(broker, client)
        )
        worker_task = asyncio.create_task(worker.run(), name="temporal-worker")
        # --- promotion: the current promotion exists (idempotent), retried in the background ---
        seed_task = asyncio.create_task(
            _until_reachable(
                "Current promotion",
                lambda: ensure_current_promotion(client, settings.TEMPORAL_TASK_QUEUE, settings),
                stop,
            ),
            name="seed-current-promotion",
        )
        # --- end promotion ---
        await broker.start()
        logger.info(
            "workflows running: task queue %s, bridge group %s",
            settings.TEMPORAL_TASK_QUEUE,
            settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP,
        )
        stopping = asyncio.create_task(stop.wait(), name="stop-requested")
        try:
            await asyncio.wait(
                {stopping, worker_task, http_task}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
    finally:
        logger.info("workflows stopping")
        if seed_task is not None:  # promotion
            seed_task.cancel()
            await asyncio.gather(seed_task, return_exceptions=True)
        for subscriber in broker.subscribers:
            await subscriber.stop()
        if worker_task is not None:
            if not worker_task.done():
                await worker.shutdown()
            await asyncio.gather(worker_task, return_exceptions=True)
        await broker.stop()
        http.should_exit = True
        await asyncio.gather(http_task, return_exceptions=True)
        logger.info("workflows stopped")
    # A component that ended by itself (not on request) is a failure the supervisor must see.
    for task in (worker_task, http_task):
        if task is not None and task.done() and not task.cancelled() and task.exception():
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()
    if not stop.is_set():
        raise RuntimeError("a component of the workflows process stopped unexpectedly")


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
