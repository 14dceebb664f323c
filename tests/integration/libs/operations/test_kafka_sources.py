"""Consumer lag and dead letters read from the real Tansu broker (what it answers is what the
collectors had to be written for), with the audit on SQLite and PostgreSQL."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, session_factory
from libs.kafka import ensure_topics
from libs.kafka_connection import KafkaConnection
from libs.messages.topics import ConsumerGroups, Headers
from libs.operations.dead_letters import DeadLetterBox, DeadLetterError, MessageRef
from libs.operations.kafka_lag import collect_consumer_lag, export_consumer_lag, kafka_reader
from libs.operations.models import DeadLetterAction
from tests.eventually import eventually

pytestmark = pytest.mark.integration


def unique(name: str) -> str:
    return f"ops-test.{name}.{uuid.uuid4().hex[:8]}"


async def produce(
    bootstrap: str,
    topic: str,
    values: list[bytes],
    *,
    partition: int = 0,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(
                topic, value, key=b"dossier-1", partition=partition, headers=headers or []
            )
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


class TestConsumerLag:
    async def test_lag_is_end_minus_committed_per_partition_with_the_oldest_waiting_message(
        self, kafka_bootstrap: str
    ) -> None:
        topic = unique("lag")
        await ensure_topics(KafkaConnection(kafka_bootstrap), {topic: 2})
        before = datetime.now(UTC) - timedelta(seconds=1)
        await produce(kafka_bootstrap, topic, [b"a", b"b", b"c", b"d"], partition=0)
        await produce(kafka_bootstrap, topic, [b"e"], partition=1)
        behind, caught_up = unique("group"), unique("group")
        await commit(kafka_bootstrap, behind, {TopicPartition(topic, 0): 1})
        await commit(
            kafka_bootstrap, caught_up, {TopicPartition(topic, 0): 4, TopicPartition(topic, 1): 1}
        )
        never = unique("group")

        lag = await collect_consumer_lag(
            KafkaConnection(kafka_bootstrap),
            {behind: (topic,), caught_up: (topic,), never: (topic,)},
        )

        groups = {group.group: group for group in lag.groups}
        rows = {(row.partition): row for row in groups[behind].partitions}
        assert (rows[0].committed, rows[0].end, rows[0].lag) == (1, 4, 3)
        assert (rows[1].committed, rows[1].end, rows[1].lag) == (None, 1, 1)
        assert rows[0].oldest_unconsumed_at is not None
        assert before <= rows[0].oldest_unconsumed_at <= datetime.now(UTC)
        assert groups[behind].state == "Empty" and groups[behind].members == 0
        assert groups[caught_up].lag == 0
        assert groups[caught_up].oldest_unconsumed_at is None
        assert groups[never].state == "absent"
        assert groups[never].lag == 5

    async def test_groups_with_live_members_are_described_each_on_its_own(
        self, kafka_bootstrap: str
    ) -> None:
        # Tansu cannot answer DescribeGroups naming several groups that have members.
        topic = unique("live")
        await ensure_topics(KafkaConnection(kafka_bootstrap), {topic: 1})
        await produce(kafka_bootstrap, topic, [b"a"])
        groups = [unique("group"), unique("group")]
        members = [
            AIOKafkaConsumer(
                topic,
                bootstrap_servers=kafka_bootstrap,
                group_id=group,
                auto_offset_reset="earliest",
            )
            for group in groups
        ]
        await asyncio.gather(*(member.start() for member in members))
        try:
            await asyncio.gather(*(member.getone() for member in members))
            await asyncio.gather(*(member.commit() for member in members))

            lag = await collect_consumer_lag(
                KafkaConnection(kafka_bootstrap), dict.fromkeys(groups, (topic,))
            )
        finally:
            await asyncio.gather(*(member.stop() for member in members))

        assert [(g.state, g.members, g.lag) for g in lag.groups] == [("Stable", 1, 0)] * 2

    async def test_a_missing_topic_is_left_out_and_not_created(self, kafka_bootstrap: str) -> None:
        missing, group = unique("missing"), unique("group")

        lag = await collect_consumer_lag(KafkaConnection(kafka_bootstrap), {group: (missing,)})

        assert lag.groups[0].partitions == []
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
        await consumer.start()
        try:
            assert missing not in await consumer.topics()
        finally:
            await consumer.stop()

    async def test_the_exporter_publishes_kafka_consumergroup_lag(
        self, kafka_bootstrap: str
    ) -> None:
        topic, group = unique("exported"), unique("group")
        await ensure_topics(KafkaConnection(kafka_bootstrap), {topic: 1})
        await produce(kafka_bootstrap, topic, [b"x", b"y"])
        labels = {"group": group, "topic": topic, "partition": "0"}
        exporter = asyncio.create_task(
            export_consumer_lag(KafkaConnection(kafka_bootstrap), 0.2, {group: (topic,)})
        )
        try:
            assert await eventually(
                lambda: _sample("kafka_consumergroup_lag", labels, expected=2.0), timeout=20
            )
            await commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 2})
            assert await eventually(
                lambda: _sample("kafka_consumergroup_lag", labels, expected=0.0), timeout=20
            )
        finally:
            exporter.cancel()
            await asyncio.gather(exporter, return_exceptions=True)


async def _sample(name: str, labels: dict[str, str], *, expected: float) -> bool:
    return REGISTRY.get_sample_value(name, labels) == expected


# --- dead letters ---


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        table = SQLModel.metadata.tables[DeadLetterAction.__tablename__]
        await connection.run_sync(SQLModel.metadata.create_all, tables=[table])
    yield session_factory(engine)
    await engine.dispose()


def dlq_headers(source: str, offset: int, error: str) -> list[tuple[str, bytes]]:
    return [
        (Headers.EVENT_TYPE, b"DossierStatusChanged"),
        (Headers.SCHEMA_VERSION, b"1"),
        (Headers.DLQ_ERROR, error.encode()),
        (Headers.DLQ_SOURCE_TOPIC, source.encode()),
        (Headers.DLQ_SOURCE_OFFSET, f"0:{offset}".encode()),
    ]


def event(number: int) -> bytes:
    return json.dumps(
        {
            "type": "DossierStatusChanged",
            "event_id": f"00000000-0000-4000-8000-00000000000{number}",
            "dossier_id": "11111111-1111-4111-8111-111111111111",
            "status": "in_review",
            "title": "Directrice technique",
            "contact": {"name": "Camille Martin", "email": "camille@example.fr"},
        }
    ).encode()


@pytest.fixture
async def box(kafka_bootstrap: str, sessions: async_sessionmaker[AsyncSession]) -> DeadLetterBox:
    dlq, source = unique("dlq"), unique("source")
    await ensure_topics(KafkaConnection(kafka_bootstrap), {dlq: 1, source: 1})
    error = (
        "ValidationError: 1 validation error for DossierStatusChanged\ncontact.email\n"
        "  value is not a valid email address [type=value_error, "
        "input_value='camille@example', input_type=str]"
    )
    for number in range(3):
        await produce(
            kafka_bootstrap, dlq, [event(number)], headers=dlq_headers(source, number, error)
        )
    return DeadLetterBox(
        KafkaConnection(kafka_bootstrap), sessions, topics=(dlq,), source_topics=(source,)
    )


async def ops_offset(kafka_bootstrap: str, topic: str) -> dict[int, tuple[int | None, int]]:
    """Per partition: (the ops group's committed offset, the end offset)."""
    async with kafka_reader(KafkaConnection(kafka_bootstrap)) as reader:
        partitions = await reader.existing_partitions([topic])
        committed = await reader.committed(ConsumerGroups.OPS_DEAD_LETTERS, partitions)
        _, end = await reader.bounds(partitions)
    return {tp.partition: (committed[tp], end[tp]) for tp in partitions}


class TestDeadLetters:
    async def test_inspect_shows_depth_headers_and_no_personal_data(
        self, box: DeadLetterBox
    ) -> None:
        letters = await box.inspect(newest=2)

        (topic,) = letters.topics
        assert topic.depth == 3
        assert [letter.offset for letter in topic.newest] == [2, 1]
        letter = topic.newest[0]
        assert letter.source_topic is not None and letter.source_topic.startswith("ops-test.source")
        assert letter.source_offset == "0:2"
        assert letter.event_type == "DossierStatusChanged"
        assert letter.summary == {
            "type": "DossierStatusChanged",
            "event_id": "00000000-0000-4000-8000-000000000002",
            "dossier_id": "11111111-1111-4111-8111-111111111111",
            "status": "in_review",
        }
        shown = letter.model_dump_json()
        assert "camille" not in shown.lower() and "Martin" not in shown
        assert "input_value=<hidden>" in letter.error
        assert letter.replayed_from is None

    async def test_replay_publishes_to_the_source_topic_audits_and_moves_the_watermark(
        self, box: DeadLetterBox, kafka_bootstrap: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        (dlq,) = box.topics
        (source,) = box.source_topics

        action = await box.replay(MessageRef(dlq, 0, 0), actor="dev-admin", reason="fixed")

        consumer = AIOKafkaConsumer(
            source, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            record = await consumer.getone()
        finally:
            await consumer.stop()
        assert record.value == event(0) and record.key == b"dossier-1"
        headers = dict(record.headers)
        assert headers[Headers.EVENT_TYPE] == b"DossierStatusChanged"
        assert headers[Headers.REPLAYED_FROM] == f"{dlq}:0:0".encode()
        assert not any(name.startswith("eig-dlq-") for name in headers)
        assert (action.decision, action.actor, action.reason) == ("replay", "dev-admin", "fixed")
        async with sessions() as session:
            (stored,) = (await session.exec(select(DeadLetterAction))).all()
        assert (stored.topic, stored.offset, stored.source_topic) == (dlq, 0, source)
        assert (await box.inspect()).topics[0].depth == 2
        assert (await ops_offset(kafka_bootstrap, dlq))[0] == (1, 3)
        with pytest.raises(DeadLetterError, match="not waiting"):
            await box.replay(MessageRef(dlq, 0, 0), actor="dev-admin")

        # The fix did not hold: a consumer parks the copy again, which names the original.
        again = [*record.headers, *dlq_headers(source, 9, "PermanentDeliveryError: SMTP")]
        await produce(kafka_bootstrap, dlq, [record.value], headers=again)
        copy = (await box.inspect()).topics[0].newest[0]
        assert (copy.ref, copy.replayed_from) == (f"{dlq}:0:3", f"{dlq}:0:0")

    async def test_handling_out_of_order_keeps_the_watermark_at_the_first_gap(
        self, box: DeadLetterBox, kafka_bootstrap: str
    ) -> None:
        (dlq,) = box.topics

        await box.discard(MessageRef(dlq, 0, 1), actor="dev-admin", reason="obsolete")

        letters = (await box.inspect()).topics[0]
        assert letters.depth == 2
        assert [letter.offset for letter in letters.newest] == [2, 0]
        assert (await ops_offset(kafka_bootstrap, dlq))[0] == (None, 3)
        with pytest.raises(DeadLetterError, match="was handled"):
            await box.discard(MessageRef(dlq, 0, 1), actor="dev-admin")

        await box.discard(MessageRef(dlq, 0, 0), actor="dev-admin", reason="obsolete")

        assert (await ops_offset(kafka_bootstrap, dlq))[0] == (2, 3)
        assert (await box.inspect()).topics[0].depth == 1

    async def test_a_message_that_is_not_there_or_not_a_dead_letter_is_refused(
        self, box: DeadLetterBox
    ) -> None:
        (dlq,) = box.topics
        with pytest.raises(DeadLetterError, match="not waiting"):
            await box.replay(MessageRef(dlq, 0, 7), actor="dev-admin")
        with pytest.raises(DeadLetterError, match="not a dead-letter topic"):
            await box.discard(MessageRef("eig.applications.v1", 0, 0), actor="dev-admin")
