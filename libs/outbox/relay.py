"""The outbox relay: rows written in their producer's transaction, published after commit.

A row is marked sent only once the broker acknowledged it (``acks=all``), so a crash or an
unreachable broker leaves it pending and it is published later: at least once, never lost.
Each sent row records the broker epoch it was acknowledged under; when the broker comes back
empty (a new epoch, libs.broker_epoch), the rows acknowledged under an earlier one within the
republish window are published again. Consumers dedupe on ``event_id``, so a republished row
changes nothing downstream.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiokafka.errors import BrokerResponseError
from faststream.kafka import KafkaBroker
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.broker_epoch import EpochSource, FixedEpoch
from libs.database import transaction
from libs.kafka import RetryPolicy
from libs.messages.envelope import Event
from libs.messages.topics import Headers
from libs.observability import log_context
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.outbox.repository import OutboxRepository
from libs.tracing import (
    context_of_traceparent,
    current_traceparent,
    mark_failed,
    span,
    trace_headers,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventRecord:
    """An event as a Kafka record: what ``libs.kafka.publish_event`` sends, decided once here."""

    value: bytes
    key: bytes
    headers: dict[str, str]


def event_record(event: Event) -> EventRecord:
    # Same shape as libs.kafka.publish_event (JSON body, dossier-id key, type/version headers);
    # it could move to libs/kafka.py so that publish_event is built on it.
    return EventRecord(
        value=event.model_dump_json().encode(),
        key=event.key,
        headers={
            Headers.EVENT_TYPE: event.type,
            Headers.SCHEMA_VERSION: str(event.schema_version),
        },
    )


def outbox_message(
    topic: str, event: Event, created_at: datetime, origin: str = OutboxOrigin.INTAKE
) -> OutboxMessage:
    record = event_record(event)
    return OutboxMessage(
        event_id=event.event_id,
        origin=origin,
        topic=topic,
        key=record.key.decode(),
        payload=record.value.decode(),
        headers=record.headers,
        created_at=created_at,
        # The request's or activity's span: the relay publishes the row under it.
        traceparent=current_traceparent(),
    )


class RecordPublisher(Protocol):
    async def __call__(self, topic: str, record: EventRecord) -> None:
        """Return once the broker acknowledged the record; raise otherwise."""

    async def reset(self) -> None:
        """Drop the connection to the broker: the next publish opens a new one."""


class KafkaRecordPublisher:
    """Publishes through a producer of its own (a FastStream broker without subscribers,
    connected at the first publish), which :meth:`reset` throws away.

    After a broker restart under load, aiokafka's producer was seen failing every send with
    ``UnknownError [Error -1]`` for good while a new producer worked at once: the relay resets
    its publisher after repeated failures rather than trusting the old connection to heal.
    """

    def __init__(
        self,
        new_broker: Callable[[], KafkaBroker],
        before_connecting: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._new_broker = new_broker
        # Run before each new producer connects (the services pass ``ensure_topics``): a
        # producer with cached metadata writes to a topic the restarted embedded broker has not
        # created yet, and Tansu then resets that topic's offsets when the launcher creates it,
        # refusing every later write at the offsets already taken (``UnknownError``).
        self._before_connecting = before_connecting
        self._broker: KafkaBroker | None = None

    async def __call__(self, topic: str, record: EventRecord) -> None:
        broker = await self._connected()
        # The broker is built with acks="all": publish returns after the in-sync replicas have it.
        await broker.publish(record.value, topic=topic, key=record.key, headers=record.headers)

    async def _connected(self) -> KafkaBroker:
        if self._broker is None:
            if self._before_connecting is not None:
                await self._before_connecting()
            broker = self._new_broker()
            try:
                await broker.connect()
            except BaseException:
                await _stop_quietly(broker)  # a producer half started holds sockets
                raise
            self._broker = broker
        return self._broker

    async def reset(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await _stop_quietly(broker)


async def _stop_quietly(broker: KafkaBroker) -> None:
    try:
        await broker.stop()
    except Exception as error:  # noqa: BLE001 - a broken producer may fail to close: drop it
        logger.debug("outbox relay: closing the old producer failed: %s", type(error).__name__)


class OutboxSignal:
    """Wakes the relay as soon as a transaction with an outbox row committed in this process."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


@dataclass(frozen=True)
class RelayMetrics:
    """The relay's Prometheus metrics, named by the process that relays (intake_outbox_…)."""

    pending: Gauge
    oldest_age: Gauge
    published: Counter
    failures: Counter
    republished: Counter
    """Rows published again because the broker lost them (a new epoch)."""
    producer_resets: Counter
    """Times the relay threw its producer away after repeated failures."""


@dataclass(frozen=True)
class RelayRound:
    published: int
    failed: bool
    batch_full: bool
    refused: bool = False
    """The broker answered the publish with a non-retriable error (it is up and reachable)."""


def refused_by_the_broker(error: BaseException) -> bool:
    """A broker's answer, not an outage: retried soon instead of after a growing backoff.

    The embedded broker answers ``UnknownError`` once per record batch it wrote, before a
    restart's topic creation, at an offset it then hands out again; each refused attempt moves
    it one offset on, so waiting longer only delays the catch-up.
    """
    return isinstance(error, BrokerResponseError) and not error.retriable


def _stored_record(message: OutboxMessage) -> EventRecord:
    """The row as a record, with the trace context of the current span (the relay's publish)."""
    return EventRecord(
        value=message.payload.encode(),
        key=message.key.encode(),
        headers=dict(message.headers) | trace_headers(),
    )


class OutboxRelay:
    """Publishes pending outbox rows in id order, one at a time, stopping at the first failure.

    Stopping there keeps each dossier's records in order and leaves the failed row (and those
    after it) pending for the next round, after a capped backoff.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publish: RecordPublisher,
        signal: OutboxSignal,
        *,
        metrics: RelayMetrics,
        skip_locked: bool,
        origin: str = OutboxOrigin.INTAKE,
        epochs: EpochSource | None = None,
        republish_window_seconds: float = 900.0,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        reset_after_failures: int = 1,
    ) -> None:
        self.sessions = sessions
        self.publish = publish
        self.signal = signal
        self.metrics = metrics
        self.origin = origin
        self.epochs = epochs or FixedEpoch(None)
        self.republish_window = timedelta(seconds=republish_window_seconds)
        self._relayed_epoch: str | None = None
        # PostgreSQL: rows are claimed with FOR UPDATE SKIP LOCKED inside the publishing
        # transaction, so several replicas can relay without sending a row twice. Replicas may
        # interleave batches: intake writes a single row per dossier, and consumers of workflow
        # events tolerate reordering (ADR 14).
        # SQLite has no row locks, and holding its single write lock while talking to the broker
        # would stall every application: there rows are read, published, then marked sent in
        # one short transaction per batch, which is safe because SQLite means one process per
        # origin, one relay.
        self.skip_locked = skip_locked
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.backoff = RetryPolicy(
            initial_delay=min(0.5, max_backoff_seconds), max_delay=max_backoff_seconds
        )
        self.refusal_backoff = RetryPolicy(
            initial_delay=min(0.05, max_backoff_seconds), max_delay=min(1.0, max_backoff_seconds)
        )
        # From this many failed rounds in a row (by default the first), each next round starts
        # on a new producer: a broker back after a restart is reached within one backoff, and
        # the publisher's ``before_connecting`` (the topics) runs before anything is sent to it.
        self.reset_after_failures = max(1, reset_after_failures)

    async def requeue_if_new_epoch(self) -> int:
        """On a new epoch, queue again what was acknowledged under another one (in the window).

        Checked by the relay itself at the start of each round, so that a row marked sent
        under the previous epoch in the round before is always requeued (a watcher's callback
        could run between that publish and its marking, and miss it).
        """
        epoch = self.epochs.current()
        if epoch is None or epoch == self._relayed_epoch:
            return 0
        first = self._relayed_epoch is None
        self._relayed_epoch = epoch
        if not first:
            # A new producer, so the topics are checked before anything is sent to this broker.
            await self.publish.reset()
        async with transaction(self.sessions) as session:
            requeued = await OutboxRepository(session, self.origin).requeue_acked_outside(
                epoch, datetime.now(UTC) - self.republish_window
            )
        if requeued:
            self.metrics.republished.inc(requeued)
            # At start-up (first) this covers a broker lost while the process was down.
            logger.warning(
                "outbox relay (%s): broker epoch %s%s, %d rows queued again",
                self.origin,
                epoch,
                " at start" if first else " is new",
                requeued,
            )
        return requeued

    async def relay_once(self) -> RelayRound:
        await self.requeue_if_new_epoch()
        epoch = self._relayed_epoch
        if self.skip_locked:
            async with transaction(self.sessions) as session:
                outbox = OutboxRepository(session, self.origin)
                rows = await outbox.pending(self.batch_size, skip_locked=True)
                return await self._publish_rows(rows, outbox, epoch)
        async with transaction(self.sessions) as session:
            rows = await OutboxRepository(session, self.origin).pending(
                self.batch_size, skip_locked=False
            )
        return await self._publish_rows(rows, None, epoch)

    async def _publish_rows(
        self, rows: Sequence[OutboxMessage], outbox: OutboxRepository | None, epoch: str | None
    ) -> RelayRound:
        sent: list[int] = []
        failure: tuple[int, str] | None = None
        refused = False
        for row in rows:
            assert row.id is not None
            # Under the context of the work that wrote the row, not the relay's own.
            with (
                span(
                    f"{row.topic} publish",
                    kind=SpanKind.PRODUCER,
                    context=context_of_traceparent(row.traceparent),
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.destination.name": row.topic,
                        "messaging.message.id": str(row.event_id),
                        "eig.dossier_id": row.key,
                    },
                ) as publishing,
                log_context(event_id=row.event_id, dossier_id=row.key),
            ):
                try:
                    await self.publish(row.topic, _stored_record(row))
                except Exception as error:  # noqa: BLE001 - any broker failure: row stays pending
                    mark_failed(publishing, error)
                    self.metrics.failures.inc()
                    reason = f"{type(error).__name__}: {error}"[:500]
                    logger.warning(
                        "outbox relay: publish failed, row %d stays pending: %s", row.id, reason
                    )
                    failure = (row.id, reason)
                    refused = refused_by_the_broker(error)
                    break
            sent.append(row.id)
        # One write for the whole batch: on SQLite every write takes the database's single
        # lock, and applications being submitted wait for it. A crash before this write only
        # republishes the batch, which consumers deduplicate.
        if sent or failure:
            async with self._writing(outbox) as repository:
                if sent:
                    await repository.mark_sent(sent, datetime.now(UTC), epoch)
                if failure:
                    await repository.record_failure(*failure)
        self.metrics.published.inc(len(sent))
        return RelayRound(
            published=len(sent),
            failed=failure is not None,
            batch_full=failure is None and len(rows) >= self.batch_size,
            refused=refused,
        )

    @contextlib.asynccontextmanager
    async def _writing(self, outbox: OutboxRepository | None) -> AsyncIterator[OutboxRepository]:
        """The claiming transaction's repository, or (SQLite) a short transaction of its own."""
        if outbox is not None:
            yield outbox
            return
        async with transaction(self.sessions) as session:
            yield OutboxRepository(session, self.origin)

    async def refresh_pending_gauge(self) -> None:
        async with transaction(self.sessions) as session:
            backlog = await OutboxRepository(session, self.origin).backlog()
        self.metrics.pending.set(backlog.pending)
        oldest = backlog.oldest_created_at
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        self.metrics.oldest_age.set(max(0.0, age))

    async def run(self) -> None:
        """Relay until cancelled: at once when signalled, else every ``poll_seconds``."""
        failures = 0
        try:
            while True:
                try:
                    outcome = await self.relay_once()
                    await self.refresh_pending_gauge()
                except Exception as error:  # noqa: BLE001 - database unreachable: retry later
                    logger.warning("outbox relay round failed: %s", type(error).__name__)
                    outcome = RelayRound(published=0, failed=True, batch_full=False)
                if outcome.failed:
                    failures += 1
                    if failures >= self.reset_after_failures:
                        await self._reset_publisher(failures)
                    # Wake-ups are ignored while backing off: each new application would
                    # otherwise trigger another doomed attempt against a broker that is down.
                    await asyncio.sleep(self.delay_after(outcome, failures))
                    continue
                failures = 0
                if not outcome.batch_full:
                    await self.signal.wait(self.poll_seconds)
        finally:
            await self.publish.reset()  # closes the producer when the relay stops

    def delay_after(self, outcome: RelayRound, failures: int) -> float:
        """The pause before the next round after ``failures`` failed rounds in a row."""
        policy = self.refusal_backoff if outcome.refused else self.backoff
        return policy.delay(failures)

    async def _reset_publisher(self, failures: int) -> None:
        self.metrics.producer_resets.inc()
        logger.warning(
            "outbox relay (%s): %d failed rounds in a row, the next one on a new producer",
            self.origin,
            failures,
        )
        await self.publish.reset()
