"""Consumer lag: each group's committed offset against each partition's end offset.

Only the Kafka admin and fetch APIs every broker has (ListOffsets, OffsetFetch, ListGroups,
DescribeGroups), so the same code reads the embedded Tansu broker and Apache Kafka. Checked
on Tansu: OffsetFetch must name its partitions (Tansu answers a "whole group" fetch with a
malformed response), DescribeGroups must name one group (an answer about several cannot be
decoded) that the broker lists (an unknown group's answer is garbled), and a metadata request
for a missing topic creates it (so only listed topics are described). The collector never
joins a group: reading a group's offsets must not rebalance it.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from libs.kafka_connection import KafkaConnection
from libs.messages.topics import CONSUMED_TOPICS
from libs.operations.report import ConsumerLag, GroupLag, PartitionLag

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_MS = 5_000
READER_FETCH_WAIT_MS = 20
"""How long a fetch of the reader waits for records at a partition's end (see kafka_reader)."""


@dataclass
class KafkaReader:
    """An admin client and a group-less consumer, for offsets and single records."""

    admin: AIOKafkaAdminClient
    consumer: AIOKafkaConsumer

    async def existing_partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        existing = set(await self.admin.list_topics())
        wanted = [topic for topic in dict.fromkeys(topics) if topic in existing]
        if not wanted:
            return []
        described = await self.admin.describe_topics(wanted)
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in sorted(topic["partitions"], key=lambda p: p["partition"])
        ]

    async def committed(
        self, group: str, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """The group's committed offsets (None where it never committed)."""
        if not partitions:
            return {}
        offsets = await self.admin.list_consumer_group_offsets(group, partitions=list(partitions))
        found = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        return {tp: found.get(tp) for tp in partitions}

    async def bounds(
        self, partitions: Sequence[TopicPartition]
    ) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        """(beginning offsets, end offsets)."""
        if not partitions:
            return {}, {}
        beginning = await self.consumer.beginning_offsets(list(partitions))
        end = await self.consumer.end_offsets(list(partitions))
        return beginning, end

    async def records(
        self, partition: TopicPartition, start: int, end: int, *, timeout: float = 5.0
    ) -> AsyncIterator[ConsumerRecord]:
        """The records of ``partition`` from ``start`` up to (not including) ``end``."""
        if start >= end:
            return
        self.consumer.assign([partition])
        self.consumer.seek(partition, start)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        position = start
        while position < end and loop.time() < deadline:
            batch = await self.consumer.getmany(partition, timeout_ms=500)
            for record in batch.get(partition, []):
                if record.offset >= end:
                    return
                position = record.offset + 1
                yield record

    async def first_timestamp(self, partition: TopicPartition, offset: int) -> datetime | None:
        async for record in self.records(partition, offset, offset + 1, timeout=2.0):
            return record_time(record)
        return None


def record_time(record: ConsumerRecord) -> datetime:
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


@contextlib.asynccontextmanager
async def kafka_reader(kafka: KafkaConnection) -> AsyncIterator[KafkaReader]:
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=REQUEST_TIMEOUT_MS)
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        # It reads only records known to be there: a fetch long-polling at a partition's end
        # (500 ms by default) would hold up the offset requests queued behind it on the
        # broker's connection, and every page of the ops report with them.
        fetch_max_wait_ms=READER_FETCH_WAIT_MS,
    )
    # Stopped even when starting failed: aiokafka keeps a half-started client's connections.
    try:
        await admin.start()
        await consumer.start()
        # One turn of the loop lets the group-less consumer's background task begin: stopped
        # before it ran, aiokafka's stop() raises CancelledError.
        await asyncio.sleep(0)
        yield KafkaReader(admin, consumer)
    finally:
        await consumer.stop()
        await admin.close()


async def group_states(reader: KafkaReader, groups: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Group → (state, members); groups the broker does not list are ``absent``."""
    listed = {group for group, *_ in await reader.admin.list_consumer_groups()}
    known = [group for group in groups if group in listed]
    states = dict.fromkeys(groups, ("absent", 0))
    for known_group in known:
        # One group per request: Tansu's answer naming several groups cannot be decoded.
        for response in await reader.admin.describe_consumer_groups([known_group]):
            for described in response.groups:
                error_code, group, state, _protocol_type, _protocol, members, *_ = described
                if error_code == 0 and group in states:
                    states[group] = (state, len(members))
    return states


async def collect_consumer_lag(
    kafka: KafkaConnection,
    groups: Mapping[str, Sequence[str]] = CONSUMED_TOPICS,
    *,
    with_oldest: bool = True,
) -> ConsumerLag:
    """Lag of every group on every partition of the topics it reads.

    A group that never committed on a partition starts from its beginning (the platform's
    consumers use ``auto_offset_reset="earliest"``). ``with_oldest`` also reads the first
    unconsumed record of each lagging partition for its timestamp (the age of the backlog).
    """
    async with kafka_reader(kafka) as reader:
        topics = [topic for topic_list in groups.values() for topic in topic_list]
        partitions = await reader.existing_partitions(topics)
        beginning, end = await reader.bounds(partitions)
        states = await group_states(reader, list(groups))
        result: list[GroupLag] = []
        first_times: dict[tuple[TopicPartition, int], datetime | None] = {}
        for group, group_topics in groups.items():
            own = [tp for tp in partitions if tp.topic in group_topics]
            committed = await reader.committed(group, own)
            rows: list[PartitionLag] = []
            for tp in own:
                position = max(committed[tp] or 0, beginning[tp])
                lag = max(0, end[tp] - position)
                oldest = None
                if lag and with_oldest:
                    if (tp, position) not in first_times:
                        first_times[tp, position] = await reader.first_timestamp(tp, position)
                    oldest = first_times[tp, position]
                rows.append(
                    PartitionLag(
                        topic=tp.topic,
                        partition=tp.partition,
                        committed=committed[tp],
                        end=end[tp],
                        lag=lag,
                        oldest_unconsumed_at=oldest,
                    )
                )
            state, members = states[group]
            result.append(
                GroupLag(
                    group=group,
                    topics=list(group_topics),
                    state=state,
                    members=members,
                    partitions=rows,
                )
            )
        return ConsumerLag(groups=result)


CONSUMER_GROUP_LAG = Gauge(
    "kafka_consumergroup_lag",
    "Messages a consumer group has not committed yet, per partition (as kafka-exporter names it)",
    ["group", "topic", "partition"],
)
CONSUMER_GROUP_LAG_UP = Gauge(
    "eig_consumergroup_lag_collected",
    "1 when the latest consumer-lag collection succeeded, 0 when Kafka could not be read",
)


async def export_consumer_lag(
    kafka: KafkaConnection,
    interval_seconds: float,
    groups: Mapping[str, Sequence[str]] = CONSUMED_TOPICS,
) -> None:
    """Refresh ``kafka_consumergroup_lag`` every ``interval_seconds`` until cancelled.

    Exported by a single process (intake, see ``docs/adr/0012``), so each series exists once.
    """
    while True:
        try:
            lag = await collect_consumer_lag(kafka, groups, with_oldest=False)
        except Exception as error:  # noqa: BLE001 - Kafka unreachable: keep the last values
            CONSUMER_GROUP_LAG_UP.set(0)
            logger.warning("consumer lag not collected: %s", type(error).__name__)
        else:
            CONSUMER_GROUP_LAG_UP.set(1)
            for group in lag.groups:
                for row in group.partitions:
                    CONSUMER_GROUP_LAG.labels(group.group, row.topic, str(row.partition)).set(
                        row.lag
                    )
        await asyncio.sleep(interval_seconds)
