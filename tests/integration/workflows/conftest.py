import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from faststream.kafka import KafkaBroker
from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

import libs.outbox.models  # noqa: F401 - registers the outbox table on SQLModel.metadata
from deploy.local.engines import free_port
from libs.database import create_engine
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.messages.topics import APPLICATIONS, PARTITIONS
from tests.eventually import eventually
from tests.unit.workflows.promotion.promotions import unique_promotion_number
from workflows.settings import WorkflowsSettings
from workflows.worker import run


async def start_group_at_end(bootstrap_servers: str, group_id: str, topic: str) -> None:
    """Commit ``group_id``'s offsets at the current end of ``topic``.

    The session's broker holds other tests' messages; a fresh group starting at "earliest"
    would process them all. Starting at the end, it sees only what the test publishes.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, number) for number in range(PARTITIONS[topic])]
        consumer.assign(partitions)
        end_offsets = await consumer.end_offsets(partitions)
        await consumer.commit(
            {partition: OffsetAndMetadata(end, "") for partition, end in end_offsets.items()}
        )
    finally:
        await consumer.stop()


async def read_records(bootstrap_servers: str, topic: str, key: bytes) -> list[ConsumerRecord]:
    """Every record of ``topic`` with ``key``, from the beginning up to the current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, number) for number in range(PARTITIONS[topic])]
        consumer.assign(partitions)
        end_offsets = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        while not await _reached(consumer, end_offsets):
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for batch in batches.values():
                records.extend(record for record in batch if record.key == key)
        return records
    finally:
        await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, end_offsets: dict[TopicPartition, int]) -> bool:
    for partition, end in end_offsets.items():
        if await consumer.position(partition) < end:
            return False
    return True


@dataclass
class WorkflowsProcess:
    """``workflows.worker.run`` running in this event loop, with its own group and task queue."""

    settings: WorkflowsSettings

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.WORKFLOWS_HOST}:{self.settings.WORKFLOWS_PORT}"

    async def readiness(self) -> int:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            try:
                return (await http.get("/readyz")).status_code
            except httpx.TransportError:
                return 0

    async def is_ready(self) -> bool:
        return await self.readiness() == 200


StartWorkflowsProcess = Callable[..., AbstractAsyncContextManager[WorkflowsProcess]]


@pytest.fixture(scope="session")
def temporal_address(temporal_dev_server: WorkflowEnvironment) -> str:
    return temporal_dev_server.client.service_client.config.target_host


@pytest.fixture(scope="session")
async def workflows_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with the tables, for the outbox the activities write to (ADR 14)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('workflows') / 'eig.db'}"
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
    finally:
        await engine.dispose()
    return url


@pytest.fixture(scope="session")
def start_workflows_process(
    kafka_bootstrap: str, temporal_address: str, workflows_database_url: str
) -> StartWorkflowsProcess:
    """Starts the workflows process; ``temporal_address`` may point elsewhere (a gate)."""

    @asynccontextmanager
    async def start(
        temporal_address: str = temporal_address, wait_until_ready: bool = True
    ) -> AsyncIterator[WorkflowsProcess]:
        group = f"workflows-bridge-test-{uuid.uuid4()}"
        await start_group_at_end(kafka_bootstrap, group, APPLICATIONS)
        settings = WorkflowsSettings(
            _env_file=None,
            DATABASE_URL=workflows_database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            TEMPORAL_ADDRESS=temporal_address,
            TEMPORAL_TASK_QUEUE=f"dossiers-{uuid.uuid4()}",
            WORKFLOWS_BRIDGE_CONSUMER_GROUP=group,
            WORKFLOWS_PORT=free_port(),
            # Its own promotion, seeded on its own task queue: a promotion left on the task
            # queue of a process stopped earlier would never answer its dossiers' updates.
            CURRENT_PROMOTION_NUMBER=unique_promotion_number(),
        )
        process = WorkflowsProcess(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop))
        try:
            if wait_until_ready:
                await eventually(process.is_ready, timeout=120)
            yield process
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=60)

    return start


@pytest.fixture(scope="module")
async def workflows_process(
    start_workflows_process: StartWorkflowsProcess,
) -> AsyncIterator[WorkflowsProcess]:
    """One process per test module: joining a consumer group takes seconds on Tansu.

    Its group is still its own (and starts at the end of the topic), and every test uses
    fresh dossier ids, so the tests sharing it do not see each other's messages.
    """
    async with start_workflows_process() as process:
        yield process


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(
        KafkaConnection(kafka_bootstrap), client_id=f"workflows-tests-{uuid.uuid4()}"
    )
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()
