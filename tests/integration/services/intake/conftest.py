"""Intake against real engines: Tansu, the Temporal dev server, SQLite and PostgreSQL."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from sqlmodel import SQLModel

from libs.config import Environment
from libs.database import create_engine
from services.intake.bootstrap import Intake, bootstrap
from services.intake.settings import IntakeSettings
from tests.unit.services.intake.forms import served


def intake_settings(database_url: str, kafka_bootstrap: str, **overrides: Any) -> IntakeSettings:
    values: dict[str, Any] = {
        "ENVIRONMENT": Environment.TEST,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PUBLIC_INTAKE_URL": "http://intake.test",
        "OUTBOX_POLL_SECONDS": 0.2,
        "OUTBOX_MAX_BACKOFF_SECONDS": 1.0,
        # Each test reads the shared topics from the start with a group of its own.
        "STATUS_VIEW_CONSUMER_GROUP": f"intake-status-view-test-{uuid.uuid4().hex[:8]}",
        # The public results' consumers only where a test reads them (each joins two groups).
        "PUBLIC_RESULTS_ENABLED": False,
        "PUBLIC_RESULTS_CONSUMER_GROUP": f"intake-public-results-test-{uuid.uuid4().hex[:8]}",
        "PUBLIC_RESULTS_CONTRACTS_CONSUMER_GROUP": (
            f"intake-public-results-contracts-test-{uuid.uuid4().hex[:8]}"
        ),
        "RECONCILER_ENABLED": False,
        "KAFKA_LAG_EXPORT_ENABLED": False,
        # Tests send many applications for one address: the limits have tests of their own.
        "RATE_LIMIT_ENABLED": False,
        **overrides,
    }
    return IntakeSettings(_env_file=None, **values)


async def create_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
    finally:
        await engine.dispose()


@dataclass
class RunningIntake:
    intake: Intake
    client: httpx.AsyncClient


@asynccontextmanager
async def running_intake(settings: IntakeSettings) -> AsyncIterator[RunningIntake]:
    """The whole app with its lifespan (broker, relay, consumers), served over ASGI."""
    await create_tables(settings.DATABASE_URL)
    intake = bootstrap(settings)
    async with served(intake) as client:
        yield RunningIntake(intake, client)


async def records_keyed(
    bootstrap_servers: str, topic: str, key: str, *, at_least: int = 1, timeout: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` with ``key``: waits for ``at_least`` of them, then reads on to
    the end of every partition so that extra copies would show."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            found += [
                record
                for records in batches.values()
                for record in records
                if record.key == key.encode()
            ]
            if len(found) >= at_least and await _at_end(consumer):
                break
    finally:
        await consumer.stop()
    return found


async def _at_end(consumer: AIOKafkaConsumer) -> bool:
    partitions = consumer.assignment()
    if not partitions:
        return False
    ends = await consumer.end_offsets(list(partitions))
    for partition in partitions:
        if await consumer.position(partition) < ends[partition]:
            return False
    return True
