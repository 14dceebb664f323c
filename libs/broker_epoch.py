"""The broker's epoch: tells a broker that came back empty from the one events were sent to.

The embedded broker keeps everything in memory (docs/adr/0014): when it restarts, its records
and consumer offsets are gone, yet it answers as if nothing happened. The first record of
``eig.broker-epoch.v1`` holds a random id, written by whoever finds the topic empty; as long
as the same id is read at offset 0, the broker still has what it acknowledged. A different or
missing id means a new epoch: the outbox relays publish again what was acknowledged under
the previous one.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from libs.config import PlatformSettings
from libs.kafka_connection import KafkaConnection
from libs.messages.topics import BROKER_EPOCH, PARTITIONS

logger = logging.getLogger(__name__)

MARKER = TopicPartition(BROKER_EPOCH, 0)
REQUEST_TIMEOUT_MS = 5_000
FIRST_FETCH_MS = 300
"""A marker present comes back within milliseconds; past this, the offsets say if it exists."""


class EpochSource(Protocol):
    def current(self) -> str | None:
        """The epoch last read from the broker; None until one was read."""


class FixedEpoch:
    """An epoch that never changes (tests, and brokers whose storage is durable)."""

    def __init__(self, epoch: str | None = "fixed") -> None:
        self.epoch = epoch

    def current(self) -> str | None:
        return self.epoch


async def _ensure_topic(kafka: KafkaConnection) -> None:
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=REQUEST_TIMEOUT_MS)
    await admin.start()
    try:
        if BROKER_EPOCH not in set(await admin.list_topics()):
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(BROKER_EPOCH, PARTITIONS[BROKER_EPOCH], replication_factor=1)]
                )
    finally:
        await admin.close()


async def _read_marker(kafka: KafkaConnection, timeout_ms: int) -> str | None:
    """The id at offset 0, or None if the topic is empty (or missing)."""
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        enable_auto_commit=False,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    await consumer.start()
    try:
        consumer.assign([MARKER])
        consumer.seek(MARKER, 0)
        batches = await consumer.getmany(MARKER, timeout_ms=FIRST_FETCH_MS, max_records=1)
        if not batches:
            # Empty (or missing: Tansu answers 0 too), or only a slow fetch: ask, then wait.
            if (await consumer.end_offsets([MARKER]))[MARKER] == 0:
                return None
            batches = await consumer.getmany(MARKER, timeout_ms=timeout_ms, max_records=1)
    finally:
        await consumer.stop()
    for record in batches.get(MARKER, []):
        if record.offset == 0 and record.value:
            return bytes(record.value).decode()
    return None


async def _write_marker(kafka: KafkaConnection, epoch: str) -> None:
    producer = AIOKafkaProducer(
        **kafka.client_options(), acks="all", request_timeout_ms=REQUEST_TIMEOUT_MS
    )
    await producer.start()
    try:
        await producer.send_and_wait(BROKER_EPOCH, epoch.encode(), partition=0)
    finally:
        await producer.stop()


async def read_or_start_epoch(kafka: KafkaConnection, timeout_ms: int = 3_000) -> str:
    """The broker's epoch; if it has none yet, a new one is written and the first one wins.

    Several processes may find the topic empty at once and each write an id: whichever landed
    at offset 0 is the epoch, read back by all of them.
    """
    epoch = await _read_marker(kafka, timeout_ms)
    if epoch is not None:
        return epoch
    await _ensure_topic(kafka)
    candidate = uuid.uuid4().hex
    await _write_marker(kafka, candidate)
    # The record just acknowledged is there: a longer wait only covers a slow fetch.
    epoch = await _read_marker(kafka, timeout_ms * 3)
    if epoch is None:
        raise RuntimeError("the broker acknowledged the epoch marker but does not return it")
    if epoch == candidate:
        logger.info("broker epoch %s started", epoch)
    return epoch


class EpochWatcher:
    """Reads the broker's epoch every ``interval_seconds``; ``on_change`` hears of a new one.

    Cheap: one fetch of one record per interval. While the broker is unreachable the last
    epoch read stays current (rows acknowledged meanwhile cannot exist).
    """

    def __init__(
        self,
        kafka: KafkaConnection,
        *,
        interval_seconds: float = 1.0,
        on_change: Callable[[str], None] = lambda epoch: None,
    ) -> None:
        self.kafka = kafka
        self.interval_seconds = interval_seconds
        self.on_change = on_change
        self._epoch: str | None = None
        self._read = asyncio.Event()

    def current(self) -> str | None:
        return self._epoch

    async def first_read(self) -> str | None:
        """Wait until an epoch was read once (the relay should not mark rows before)."""
        await self._read.wait()
        return self._epoch

    async def check_once(self) -> str:
        epoch = await read_or_start_epoch(self.kafka)
        previous, self._epoch = self._epoch, epoch
        self._read.set()
        if previous is not None and previous != epoch:
            logger.warning("broker epoch changed from %s to %s: it lost its data", previous, epoch)
            self.on_change(epoch)
        return epoch

    async def run(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception as error:  # noqa: BLE001 - broker down: the last epoch stays current
                logger.info("broker epoch not readable (%s), retrying", type(error).__name__)
            await asyncio.sleep(self.interval_seconds)


def epoch_watcher(
    settings: PlatformSettings, *, on_change: Callable[[str], None]
) -> EpochWatcher | None:
    """The process's watcher, or None when settings disable it (durable broker storage)."""
    if settings.BROKER_EPOCH_CHECK_SECONDS <= 0:
        return None
    return EpochWatcher(
        KafkaConnection.from_settings(settings),
        interval_seconds=settings.BROKER_EPOCH_CHECK_SECONDS,
        on_change=on_change,
    )
