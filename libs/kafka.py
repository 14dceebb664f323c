"""Kafka plumbing shared by producers and consumers: broker factory, topics, at-least-once handling.

Every consumer is registered with :func:`subscribe_events`, the one consumer policy: a map from
event type to handler (:class:`Handler`); an event type the consumer does not handle is skipped
and counted (``eig_kafka_events_skipped_total``), never dead-lettered, so a producer may add
event types before its consumers know them. Underneath (``AckPolicy.MANUAL`` and
:func:`process_then_ack`), the offset is committed only after the handler succeeded, transient
failures are retried with backoff a bounded number of times (:data:`CONSUMER_RETRY`), and
poison messages (unreadable, a known type that does not validate, or a :class:`PermanentError`
of the handler) go to a dead-letter topic at once, so the consumer moves on (FastStream's
default acks *before* handling). Every message set aside is counted
(``eig_kafka_dead_lettered_total``); the dead-letter publish itself is retried until it
succeeds, so no offset is committed past a message that was neither handled nor set aside.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage as InjectedKafkaMessage
from faststream.kafka.message import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY, Counter
from pydantic import BaseModel, ValidationError

from libs.kafka_connection import KafkaConnection
from libs.messages.envelope import Event
from libs.messages.topics import PARTITIONS, Headers
from libs.observability import bind_ids, log_context
from libs.plain_text import without_nul
from libs.tracing import context_from, span, trace_headers

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)

EVENTS_SKIPPED = Counter(
    "eig_kafka_events_skipped",
    "Events of a type their consumer does not handle, acknowledged without being read",
    ["consumer", "event_type"],
)
DEAD_LETTERED = Counter(
    "eig_kafka_dead_lettered",
    "Messages a consumer parked on its dead-letter topic, by reason: unreadable, refused "
    "(a permanent failure of the handler), retries_exhausted (still failing at the last try)",
    ["consumer", "reason"],
)
DEAD_LETTER_PUBLISH_FAILURES = Counter(
    "eig_kafka_dead_letter_publish_failures",
    "Failed attempts to publish on a dead-letter topic (retried: the consumer holds meanwhile)",
    ["consumer"],
)


def create_broker(kafka: KafkaConnection, client_id: str) -> KafkaBroker:
    # acks="all": a publish returns only once the broker has the record (the outbox relay
    # marks a row sent on that). No idempotent producer: Tansu does not support it, and
    # consumers dedupe on event_id anyway.
    return KafkaBroker(
        kafka.bootstrap_servers,
        security=kafka.security,
        client_id=client_id,
        acks="all",
        graceful_timeout=15.0,
        request_timeout_ms=10_000,
        # Route FastStream's own lines through the JSON root handler (configure_logging).
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
        # Every subscriber and publisher counted and timed on the process's /metrics
        # (faststream_received_messages_total, ..._processed_messages_duration_seconds, …).
        middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name=client_id)],
    )


async def ensure_topics(kafka: KafkaConnection, partitions: dict[str, int] = PARTITIONS) -> None:
    """Create the platform's topics if missing (idempotent)."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=count, replication_factor=1)
            for name, count in partitions.items()
            if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


async def publish_event(broker: KafkaBroker, topic: str, event: Event) -> None:
    """Publish an event keyed by dossier id, with its type, schema version and the current
    trace context as headers."""
    await broker.publish(
        event.model_dump_json().encode(),
        topic=topic,
        key=event.key,
        headers={
            Headers.EVENT_TYPE: event.type,
            Headers.SCHEMA_VERSION: str(event.schema_version),
            **trace_headers(),
        },
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for transient failures; ``max_attempts=None`` retries until shutdown."""

    max_attempts: int | None = None
    initial_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        # The exponent is capped: 2 ** attempt overflows a float after ~1,000 attempts.
        return float(min(self.max_delay, self.initial_delay * 2 ** min(attempt - 1, 64)))


CONSUMER_RETRY = RetryPolicy(max_attempts=10, initial_delay=0.5, max_delay=30.0)
"""A consumer's handler is tried 10 times over about two and a half minutes (a database or
Temporal restart), then the message is dead-lettered (replayable, ADR 12) rather than holding
its partition forever."""
DEAD_LETTER_RETRY = RetryPolicy(max_attempts=None, initial_delay=0.5, max_delay=30.0)
"""Publishing on a dead-letter topic is retried until it succeeds: acknowledging a message
neither handled nor set aside would lose it."""


class PermanentError(Exception):
    """A handler's failure that no retry can fix (an address the mail server refuses for
    good): the message is dead-lettered at once."""


POISON_ERRORS: tuple[type[Exception], ...] = (ValidationError, UnicodeDecodeError, PermanentError)
"""Errors that retrying cannot fix: the message itself is bad, or refused for good."""


async def send_to_dead_letters(
    broker: KafkaBroker, dlq_topic: str, message: KafkaMessage, error: BaseException
) -> None:
    raw = message.raw_message
    record = raw[0] if isinstance(raw, tuple) else raw
    headers = dict(message.headers)
    headers.update(
        {
            Headers.DLQ_ERROR: f"{type(error).__name__}: {str(error)[:500]}",
            Headers.DLQ_SOURCE_TOPIC: str(record.topic),
            Headers.DLQ_SOURCE_OFFSET: f"{record.partition}:{record.offset}",
        }
    )
    await broker.publish(message.body, topic=dlq_topic, key=record.key, headers=headers)


@dataclass(frozen=True)
class DeadLetters:
    """Where a consumer parks what it cannot handle, and how it counts it."""

    broker: KafkaBroker
    topic: str
    consumer: str
    on_dead_letter: Callable[[BaseException], None] | None = None
    """The service's own count, besides ``eig_kafka_dead_lettered_total``."""
    retry: RetryPolicy = DEAD_LETTER_RETRY


async def process_then_ack(
    message: KafkaMessage,
    work: Callable[[], Awaitable[None]],
    *,
    dead_letters: DeadLetters,
    retry: RetryPolicy,
) -> None:
    """Run ``work``; commit the offset only once it succeeded or the message was dead-lettered.

    Never raises (but on cancellation, at shutdown, when nothing is acknowledged): a handler
    that raised would let the next message's commit skip this one.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            await work()
        except POISON_ERRORS as error:
            logger.warning(
                "poison message sent to %s: %s", dead_letters.topic, type(error).__name__
            )
            reason = "refused" if isinstance(error, PermanentError) else "unreadable"
            await _dead_letter(dead_letters, message, error, reason=reason)
            return
        except Exception as error:  # noqa: BLE001 - any other failure is retried
            if retry.max_attempts is not None and attempt >= retry.max_attempts:
                logger.error("giving up after %d attempts, to %s", attempt, dead_letters.topic)
                await _dead_letter(dead_letters, message, error, reason="retries_exhausted")
                return
            delay = retry.delay(attempt)
            logger.warning(
                "attempt %d failed (%s), retrying in %.1fs", attempt, type(error).__name__, delay
            )
            await asyncio.sleep(delay)
        else:
            await message.ack()
            return


async def _dead_letter(
    dead_letters: DeadLetters, message: KafkaMessage, error: BaseException, *, reason: str
) -> None:
    """Publish on the dead-letter topic (retried until it succeeds), count, then acknowledge."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await send_to_dead_letters(dead_letters.broker, dead_letters.topic, message, error)
            break
        except Exception as failure:  # noqa: BLE001 - the broker is away: hold, then retry
            DEAD_LETTER_PUBLISH_FAILURES.labels(consumer=dead_letters.consumer).inc()
            delay = dead_letters.retry.delay(attempt)
            logger.error(
                "dead-letter publish to %s failed (%s), retrying in %.1fs",
                dead_letters.topic,
                type(failure).__name__,
                delay,
            )
            await asyncio.sleep(delay)
    DEAD_LETTERED.labels(consumer=dead_letters.consumer, reason=reason).inc()
    if dead_letters.on_dead_letter is not None:
        try:
            dead_letters.on_dead_letter(error)
        except Exception:  # noqa: BLE001 - a metric callback must not hold the partition
            logger.exception("on_dead_letter of %s failed", dead_letters.consumer)
    await message.ack()


def event_type(model: type[Event]) -> str:
    """The ``type`` every message of an event model carries (its ``Literal`` default)."""
    default = model.model_fields["type"].default
    if not isinstance(default, str):
        raise TypeError(f"{model.__name__} does not fix its event type")
    return default


@dataclass(frozen=True)
class Handler(Generic[E]):
    """What a consumer does with one event type: ``handle`` gets the parsed ``event``."""

    event: type[E]
    handle: Callable[[E], Awaitable[None]]


JSON_NUL = b"\\u0000"
"""How JSON writes a NUL character (pydantic escapes it so; a body without it holds none)."""


class _EventType(BaseModel):
    """Only the envelope's ``type``: what routing needs before the whole body is read."""

    type: str


class EventRouter:
    """A consumer's map from event type to handler, applied to one message body.

    An event type without a handler is skipped and counted; a body without a ``type``, or of a
    known type that does not validate, raises :data:`POISON_ERRORS` (the message is dead-lettered).
    NUL characters are removed from the event's texts before its handler sees it.
    """

    def __init__(self, consumer: str, handlers: Iterable[Handler[Any]]) -> None:
        self.consumer = consumer
        routes: dict[str, Handler[Any]] = {}
        for handler in handlers:
            name = event_type(handler.event)
            if name in routes:
                raise ValueError(f"{consumer}: two handlers for {name}")
            routes[name] = handler
        self.handlers: Mapping[str, Handler[Any]] = routes

    async def __call__(self, body: bytes) -> None:
        name = _EventType.model_validate_json(body).type
        handler = self.handlers.get(name)
        if handler is None:
            # Cut: the type comes from the message, and labels must stay short.
            skipped = name[:100]
            EVENTS_SKIPPED.labels(consumer=self.consumer, event_type=skipped).inc()
            logger.info("%s does not handle %s events: skipped", self.consumer, skipped)
            return
        event = handler.event.model_validate_json(body)
        bind_ids(event_id=event.event_id, dossier_id=event.dossier_id)
        if JSON_NUL in body:
            # Accepted before texts were bounded: no database downstream can store a NUL
            # (PostgreSQL refuses the row, and the consumer would retry it to the end).
            event = handler.event.model_validate(without_nul(event.model_dump(mode="json")))
        await handler.handle(event)


def _dossier_id_of(message: KafkaMessage) -> UUID | None:
    """The record's key when it is a dossier id (every topic's key), else None: a poison
    message's key is not written into the logs."""
    raw = message.raw_message
    key = (raw[0] if isinstance(raw, tuple) else raw).key
    try:
        return UUID(key.decode("ascii")) if isinstance(key, bytes) else None
    except (UnicodeDecodeError, ValueError):
        return None


def subscribe_events(
    broker: KafkaBroker,
    topic: str,
    handlers: Iterable[Handler[Any]],
    *,
    consumer: str,
    group_id: str,
    dlq_topic: str,
    retry: RetryPolicy,
    on_dead_letter: Callable[[BaseException], None] | None = None,
    description: str | None = None,
) -> None:
    """Register ``consumer`` on ``topic``: each message goes to the handler of its event type
    (:class:`EventRouter`) under :func:`process_then_ack`; it runs once the broker starts.

    ``consumer`` names the subscriber in FastStream's logs and AsyncAPI, and labels the
    skipped-events metric; ``group_id`` is separate because tests sharing a broker change it.
    """
    route = EventRouter(consumer, handlers)
    dead_letters = DeadLetters(broker, dlq_topic, consumer, on_dead_letter)

    async def consume(message: InjectedKafkaMessage) -> None:
        # One span per message (its retries included), under the context the producer sent;
        # its log lines carry the consumer, the key (the dossier id) and, once parsed, the
        # event id.
        with (
            span(
                f"{topic} process",
                kind=SpanKind.CONSUMER,
                context=context_from(message.headers),
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": topic,
                    "messaging.consumer.group.name": group_id,
                    "eig.consumer": consumer,
                },
            ),
            log_context(consumer=consumer, dossier_id=_dossier_id_of(message)),
        ):
            await process_then_ack(
                message, lambda: route(message.body), dead_letters=dead_letters, retry=retry
            )

    consume.__name__ = consume.__qualname__ = consumer.replace("-", "_")
    broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        # A new group starts from the oldest message, so nothing published before it is missed.
        auto_offset_reset="earliest",
        # A crashed member is noticed within 6 s (10 s by default), and Tansu's group join,
        # which waits about half the session timeout, takes ~3 s instead of ~5 s.
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_500,
        title=consumer,
        description=description,
    )(consume)


BROKER_START_RETRY = RetryPolicy(initial_delay=0.5, max_delay=15.0)


async def try_starting(broker: KafkaBroker) -> bool:
    """Start the broker's producer and subscribers; False (and cleaned up) if Kafka is away."""
    try:
        await broker.start()
    except Exception as error:  # noqa: BLE001 - unreachable broker: the caller retries
        logger.warning("Kafka unreachable: %s", type(error).__name__)
        await broker.stop()
        return False
    return True


async def keep_starting(broker: KafkaBroker, retry: RetryPolicy = BROKER_START_RETRY) -> None:
    """Retry :func:`try_starting` with backoff until Kafka answers.

    For services that keep serving without Kafka (intake's outbox, selection's read API): a
    missing broker must not keep them from starting.
    """
    attempt = 0
    while True:
        attempt += 1
        await asyncio.sleep(retry.delay(attempt))
        if await try_starting(broker):
            logger.info("Kafka reachable again after %d attempts", attempt)
            return
