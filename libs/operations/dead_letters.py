"""Dead-letter topics: what is left to handle, shown without personal data; replay and discard.

What "handled" means (docs/adr/0012): every replay or discard is a row of
``dead_letter_actions`` (who, when, which message, why), and the ``ops-dead-letters`` consumer
group's committed offset on each dead-letter partition is moved past every message handled
so far without a gap. So the depth is what lies after that offset and has no action row, and
``kafka_consumergroup_lag{group="ops-dead-letters"}`` is above zero exactly while something
is left. Replaying publishes the message to its source topic again; consumers deduplicate on
the event id, so a replay (even twice) is safe.
"""

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.kafka_connection import KafkaConnection
from libs.messages.topics import DEAD_LETTER_TOPICS, PARTITIONS, ConsumerGroups, Headers
from libs.observability import EMAIL_PATTERN, REDACTED_EMAIL
from libs.operations.kafka_lag import REQUEST_TIMEOUT_MS, KafkaReader, kafka_reader, record_time
from libs.operations.models import DeadLetterAction, DeadLetterDecision
from libs.operations.report import DeadLetter, DeadLetters, DeadLetterTopic

SUMMARY_FIELDS = (
    "type",
    "event_id",
    "dossier_id",
    "contract_id",
    "kind",
    "status",
    "previous_status",
    "action",
    "outcome",
    "occurred_at",
    "schema_version",
)
"""Payload fields shown to operators: ids, types and statuses only, never names or e-mails."""

MAX_SCAN = 10_000
"""Messages read per dead-letter partition at most (they are few; this bounds a flood)."""

_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]|$)", re.DOTALL)


SOURCE_TOPICS = frozenset(PARTITIONS) - frozenset(DEAD_LETTER_TOPICS)
"""Where a dead letter may be replayed to: the topics consumers read."""


class DeadLetterError(Exception):
    """A replay or discard that cannot be done; the message says why (for a 4xx or the CLI)."""


def safe_error(error: str) -> str:
    """The ``eig-dlq-error`` header without what the message contained: pydantic repeats the
    invalid input (``input_value=...``), which may be a name or an address."""
    return EMAIL_PATTERN.sub(REDACTED_EMAIL, _INPUT_VALUE.sub("input_value=<hidden>", error))


def summary(body: bytes | None) -> dict[str, str]:
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return {"unreadable": f"{len(body or b'')} bytes"}
    if not isinstance(payload, dict):
        return {"unreadable": f"JSON {type(payload).__name__}"}
    return {name: str(payload[name]) for name in SUMMARY_FIELDS if name in payload}


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {name: value.decode(errors="replace") for name, value in record.headers or ()}


def dead_letter(record: ConsumerRecord) -> DeadLetter:
    headers = _headers(record)
    return DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=record_time(record),
        key=record.key.decode(errors="replace") if record.key else None,
        error=safe_error(headers.get(Headers.DLQ_ERROR, "")),
        source_topic=headers.get(Headers.DLQ_SOURCE_TOPIC),
        source_offset=headers.get(Headers.DLQ_SOURCE_OFFSET),
        event_type=headers.get(Headers.EVENT_TYPE),
        summary=summary(record.value),
        replayed_from=headers.get(Headers.REPLAYED_FROM),
    )


@dataclass(frozen=True)
class MessageRef:
    topic: str
    partition: int
    offset: int

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


class DeadLetterBox:
    """The dead-letter topics, with what operators did about them."""

    def __init__(
        self,
        kafka: KafkaConnection,
        sessions: async_sessionmaker[AsyncSession],
        topics: Sequence[str] = DEAD_LETTER_TOPICS,
        source_topics: Collection[str] = SOURCE_TOPICS,
    ) -> None:
        self.kafka = kafka
        self.sessions = sessions
        self.topics = tuple(topics)
        self.source_topics = frozenset(source_topics)

    async def inspect(self, newest: int = 10) -> DeadLetters:
        """Per topic: the unhandled depth, the oldest's time and the ``newest`` messages."""
        async with kafka_reader(self.kafka) as reader:
            partitions = await reader.existing_partitions(self.topics)
            topics: dict[str, DeadLetterTopic] = {
                topic: DeadLetterTopic(topic=topic, depth=0, oldest_at=None, newest=[])
                for topic in self.topics
            }
            for tp in partitions:
                left, unscanned = await self._unhandled(reader, tp)
                entry = topics[tp.topic]
                entry.depth += len(left) + unscanned
                if left:
                    oldest = record_time(left[0])
                    entry.oldest_at = min(filter(None, (entry.oldest_at, oldest)))
                entry.newest.extend(dead_letter(record) for record in left[-newest:])
            for entry in topics.values():
                entry.newest.sort(key=lambda letter: letter.timestamp, reverse=True)
                del entry.newest[newest:]
            return DeadLetters(topics=list(topics.values()))

    async def replay(self, ref: MessageRef, *, actor: str, reason: str = "") -> DeadLetterAction:
        """Publish the message to its source topic again, then record it handled."""
        self._check_topic(ref)
        async with kafka_reader(self.kafka) as reader:
            record = await self._unhandled_record(reader, ref)
            headers = _headers(record)
            source = headers.get(Headers.DLQ_SOURCE_TOPIC)
            if source not in self.source_topics:
                raise DeadLetterError(f"{ref.topic} {ref.partition}:{ref.offset}: no source topic")
            producer = AIOKafkaProducer(
                **self.kafka.client_options(),
                acks="all",
                request_timeout_ms=REQUEST_TIMEOUT_MS,
            )
            await producer.start()
            try:
                kept = [
                    (name, value.encode())
                    for name, value in headers.items()
                    if not name.startswith("eig-dlq-") and name != Headers.REPLAYED_FROM
                ]
                kept.append(
                    (Headers.REPLAYED_FROM, f"{ref.topic}:{ref.partition}:{ref.offset}".encode())
                )
                await producer.send_and_wait(source, record.value, key=record.key, headers=kept)
            finally:
                await producer.stop()
            return await self._record(reader, record, DeadLetterDecision.REPLAY, actor, reason)

    async def discard(self, ref: MessageRef, *, actor: str, reason: str = "") -> DeadLetterAction:
        """Record the message handled without publishing it anywhere."""
        self._check_topic(ref)
        async with kafka_reader(self.kafka) as reader:
            record = await self._unhandled_record(reader, ref)
            return await self._record(reader, record, DeadLetterDecision.DISCARD, actor, reason)

    async def actions(self, limit: int = 50) -> Sequence[DeadLetterAction]:
        """The audit, newest first."""
        async with self.sessions() as session:
            statement = (
                select(DeadLetterAction).order_by(col(DeadLetterAction.id).desc()).limit(limit)
            )
            return (await session.exec(statement)).all()

    # --- internals ---

    async def _handled(self, tp: TopicPartition, from_offset: int) -> set[tuple[int, int]]:
        """(offset, timestamp in ms) of the actions recorded on ``tp`` from ``from_offset``."""
        async with self.sessions() as session:
            statement = select(
                DeadLetterAction.offset, DeadLetterAction.message_timestamp_ms
            ).where(
                col(DeadLetterAction.topic) == tp.topic,
                col(DeadLetterAction.partition) == tp.partition,
                col(DeadLetterAction.offset) >= from_offset,
            )
            return {(offset, stamp) for offset, stamp in (await session.exec(statement)).all()}

    async def _start(self, reader: KafkaReader, tp: TopicPartition) -> tuple[int, int]:
        """(first offset not known to be handled, end offset)."""
        beginning, end = await reader.bounds([tp])
        watermark = (await reader.committed(ConsumerGroups.OPS_DEAD_LETTERS, [tp]))[tp]
        return max(watermark or 0, beginning[tp]), end[tp]

    async def _unhandled(
        self, reader: KafkaReader, tp: TopicPartition
    ) -> tuple[list[ConsumerRecord], int]:
        """The unhandled records of ``tp`` in order, and how many more lie beyond the scan."""
        start, end = await self._start(reader, tp)
        handled = await self._handled(tp, start)
        stop = min(end, start + MAX_SCAN)
        left = [
            record
            async for record in reader.records(tp, start, stop)
            if (record.offset, record.timestamp) not in handled
        ]
        return left, end - stop

    def _check_topic(self, ref: MessageRef) -> None:
        if ref.topic not in self.topics:
            raise DeadLetterError(f"{ref.topic} is not a dead-letter topic")

    async def _unhandled_record(self, reader: KafkaReader, ref: MessageRef) -> ConsumerRecord:
        tp = ref.topic_partition
        start, end = await self._start(reader, tp)
        if not start <= ref.offset < end:
            raise DeadLetterError(
                f"{ref.topic} {ref.partition}:{ref.offset} is not waiting: "
                f"unhandled messages are at offsets {start} to {end - 1}"
                if start < end
                else f"{ref.topic} {ref.partition}: nothing is waiting"
            )
        async for record in reader.records(tp, ref.offset, ref.offset + 1):
            if (record.offset, record.timestamp) in await self._handled(tp, ref.offset):
                raise DeadLetterError(f"{ref.topic} {ref.partition}:{ref.offset} was handled")
            return record
        raise DeadLetterError(f"{ref.topic} {ref.partition}:{ref.offset} could not be read")

    async def _record(
        self,
        reader: KafkaReader,
        record: ConsumerRecord,
        decision: DeadLetterDecision,
        actor: str,
        reason: str,
    ) -> DeadLetterAction:
        action = DeadLetterAction(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            message_timestamp_ms=record.timestamp,
            source_topic=_headers(record).get(Headers.DLQ_SOURCE_TOPIC),
            decision=decision.value,
            actor=actor,
            acted_at=datetime.now(UTC),
            reason=reason,
        )
        try:
            async with transaction(self.sessions) as session:
                session.add(action)
        except IntegrityError:
            raise DeadLetterError(
                f"{record.topic} {record.partition}:{record.offset} was handled meanwhile"
            ) from None
        await self._advance_watermark(reader, TopicPartition(record.topic, record.partition))
        return action

    async def _advance_watermark(self, reader: KafkaReader, tp: TopicPartition) -> None:
        """Commit the ops group's offset past every handled message without a gap before it."""
        start, end = await self._start(reader, tp)
        handled = await self._handled(tp, start)
        position = start
        async for record in reader.records(tp, start, min(end, start + MAX_SCAN)):
            if (record.offset, record.timestamp) not in handled:
                break
            position = record.offset + 1
        if position == start:
            return
        committer = AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=ConsumerGroups.OPS_DEAD_LETTERS,
            enable_auto_commit=False,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
        )
        await committer.start()
        try:
            # Assigned, never subscribed: a commit without joining (the group has no members).
            committer.assign([tp])
            await committer.commit({tp: position})
        finally:
            await committer.stop()
