"""The one consumer policy: each event type to its handler, unknown types skipped and counted,
unreadable messages dead-lettered (FastStream's in-memory broker; the real one in integration)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY

from libs.kafka import (
    POISON_ERRORS,
    DeadLetters,
    EventRouter,
    Handler,
    PermanentError,
    RetryPolicy,
    event_type,
    process_then_ack,
    publish_event,
    subscribe_events,
)
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.envelope import Event
from libs.messages.topics import APPLICATIONS, WORKFLOWS_BRIDGE_DLQ, Headers
from tests.eventually import eventually
from tests.unit.workflows.dossier.dossiers import (
    candidate_application_submitted,
    project_application_submitted,
)

CONSUMER = "unit-test-consumer"


@dataclass
class Recorder:
    """A handler that keeps what it was given."""

    events: list[Event] = field(default_factory=list)

    async def __call__(self, event: Event) -> None:
        self.events.append(event)


def skipped(event_type: str) -> float:
    labels = {"consumer": CONSUMER, "event_type": event_type}
    return REGISTRY.get_sample_value("eig_kafka_events_skipped_total", labels) or 0.0


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def router(recorder: Recorder) -> EventRouter:
    return EventRouter(
        CONSUMER,
        [
            Handler(CandidateApplicationSubmitted, recorder),
            Handler(ProjectApplicationSubmitted, recorder),
        ],
    )


class TestEventRouter:
    @pytest.mark.parametrize(
        "event", [candidate_application_submitted(), project_application_submitted()]
    )
    async def test_each_event_reaches_its_handler_as_the_event_published(
        self, router: EventRouter, recorder: Recorder, event: Event
    ) -> None:
        await router(event.model_dump_json().encode())

        assert recorder.events == [event]

    async def test_an_event_type_without_handler_is_skipped_and_counted(
        self, router: EventRouter, recorder: Recorder
    ) -> None:
        before = skipped("ApplicationAmended")

        await router(b'{"type": "ApplicationAmended", "dossier_id": "not even checked"}')

        assert recorder.events == []
        assert skipped("ApplicationAmended") == before + 1

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"\xff\xfe",
            b'["a", "list"]',
            b'{"no": "type"}',
            b'{"type": "ProjectApplicationSubmitted"}',
        ],
    )
    async def test_a_message_that_cannot_be_read_is_an_error_retrying_cannot_fix(
        self, router: EventRouter, recorder: Recorder, body: bytes
    ) -> None:
        with pytest.raises(POISON_ERRORS):
            await router(body)

        assert recorder.events == []

    def test_two_handlers_for_one_event_type_are_refused_at_registration(
        self, recorder: Recorder
    ) -> None:
        handlers = [Handler(ProjectApplicationSubmitted, recorder)] * 2

        with pytest.raises(ValueError, match="two handlers for ProjectApplicationSubmitted"):
            EventRouter(CONSUMER, handlers)

    def test_an_event_type_is_the_literal_its_model_fixes(self) -> None:
        assert event_type(CandidateApplicationSubmitted) == "CandidateApplicationSubmitted"
        with pytest.raises(TypeError):
            event_type(Event)


@dataclass
class Consumer:
    broker: KafkaBroker
    handled: Recorder
    dead_letters: list[KafkaMessage]


@pytest.fixture
async def consumer() -> AsyncIterator[Consumer]:
    """A consumer of the applications topic handling project applications only."""
    broker = KafkaBroker("localhost:9092")
    handled = Recorder()
    subscribe_events(
        broker,
        APPLICATIONS,
        [Handler(ProjectApplicationSubmitted, handled)],
        consumer=CONSUMER,
        group_id="unit-test-group",
        dlq_topic=WORKFLOWS_BRIDGE_DLQ,
        retry=RetryPolicy(max_attempts=1),
    )
    dead_letters: list[KafkaMessage] = []

    @broker.subscriber(WORKFLOWS_BRIDGE_DLQ)
    async def collect(message: KafkaMessage) -> None:
        dead_letters.append(message)

    async with TestKafkaBroker(broker) as running:
        yield Consumer(running, handled, dead_letters)


class TestSubscribeEvents:
    async def test_a_handled_event_is_handled_once(self, consumer: Consumer) -> None:
        event = project_application_submitted()

        await publish_event(consumer.broker, APPLICATIONS, event)

        assert consumer.handled.events == [event]
        assert consumer.dead_letters == []

    async def test_an_event_type_it_does_not_handle_never_reaches_the_dead_letters(
        self, consumer: Consumer
    ) -> None:
        before = skipped(event_type(CandidateApplicationSubmitted))

        await publish_event(consumer.broker, APPLICATIONS, candidate_application_submitted())

        assert consumer.handled.events == []
        assert consumer.dead_letters == []
        assert skipped(event_type(CandidateApplicationSubmitted)) == before + 1

    async def test_an_unreadable_message_goes_to_the_dead_letters_with_its_origin(
        self, consumer: Consumer
    ) -> None:
        await consumer.broker.publish(b"not json", topic=APPLICATIONS, key=b"dossier")

        [dead_letter] = consumer.dead_letters
        assert dead_letter.body == b"not json"
        assert dead_letter.headers[Headers.DLQ_SOURCE_TOPIC] == APPLICATIONS
        assert dead_letter.headers[Headers.DLQ_ERROR].startswith("ValidationError")
        assert consumer.handled.events == []


@dataclass
class Record:
    topic: str = APPLICATIONS
    partition: int = 0
    offset: int = 41
    key: bytes = b"dossier"


@dataclass
class FakeMessage:
    """What process_then_ack reads of a Kafka message, counting its acknowledgements."""

    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    raw_message: Record = field(default_factory=Record)
    acks: int = 0

    async def ack(self) -> None:
        self.acks += 1


@dataclass
class FlakyBroker:
    """A broker whose first ``failures`` publishes fail (a broker restart)."""

    failures: int = 0
    published: list[tuple[str, bytes]] = field(default_factory=list)
    attempts: int = 0

    async def publish(self, body: bytes, *, topic: str, key: bytes, headers: object) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("broker away")
        self.published.append((topic, body))


NO_WAIT = RetryPolicy(max_attempts=None, initial_delay=0.0, max_delay=0.0)


def dead_letters(broker: FlakyBroker) -> DeadLetters:
    return DeadLetters(cast(KafkaBroker, broker), WORKFLOWS_BRIDGE_DLQ, CONSUMER, retry=NO_WAIT)


def parked(reason: str) -> float:
    labels = {"consumer": CONSUMER, "reason": reason}
    return REGISTRY.get_sample_value("eig_kafka_dead_lettered_total", labels) or 0.0


class Failing:
    """Work failing with ``error`` the first ``times`` calls."""

    def __init__(self, error: Exception, times: int = 1_000) -> None:
        self.error = error
        self.times = times
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error


class TestProcessThenAck:
    async def test_a_transient_failure_is_retried_a_bounded_number_of_times_then_parked(
        self,
    ) -> None:
        message, broker, work = FakeMessage(), FlakyBroker(), Failing(ConnectionError("db"))
        before = parked("retries_exhausted")

        await process_then_ack(
            cast(KafkaMessage, message),
            work,
            dead_letters=dead_letters(broker),
            retry=RetryPolicy(max_attempts=4, initial_delay=0.0, max_delay=0.0),
        )

        assert work.calls == 4
        assert broker.published == [(WORKFLOWS_BRIDGE_DLQ, b"{}")]
        assert message.acks == 1
        assert parked("retries_exhausted") == before + 1

    async def test_a_permanent_error_is_parked_at_once(self) -> None:
        message, broker, work = FakeMessage(), FlakyBroker(), Failing(PermanentError("refused"))
        before = parked("refused")

        await process_then_ack(
            cast(KafkaMessage, message), work, dead_letters=dead_letters(broker), retry=NO_WAIT
        )

        assert work.calls == 1
        assert len(broker.published) == 1
        assert message.acks == 1
        assert parked("refused") == before + 1

    async def test_a_failed_dead_letter_publish_is_retried_before_the_offset_is_committed(
        self,
    ) -> None:
        message, broker = FakeMessage(), FlakyBroker(failures=3)
        failures_before = REGISTRY.get_sample_value(
            "eig_kafka_dead_letter_publish_failures_total", {"consumer": CONSUMER}
        )

        await process_then_ack(
            cast(KafkaMessage, message),
            Failing(PermanentError("refused")),
            dead_letters=dead_letters(broker),
            retry=NO_WAIT,
        )

        assert broker.attempts == 4
        assert len(broker.published) == 1
        assert message.acks == 1
        failures_after = REGISTRY.get_sample_value(
            "eig_kafka_dead_letter_publish_failures_total", {"consumer": CONSUMER}
        )
        assert (failures_after or 0.0) - (failures_before or 0.0) == 3

    async def test_while_the_dead_letter_topic_is_unreachable_nothing_is_acknowledged(
        self,
    ) -> None:
        message, broker = FakeMessage(), FlakyBroker(failures=10**9)
        started = asyncio.Event()

        async def refused() -> None:
            started.set()
            raise PermanentError("refused")

        running = asyncio.create_task(
            process_then_ack(
                cast(KafkaMessage, message),
                refused,
                dead_letters=DeadLetters(
                    cast(KafkaBroker, broker),
                    WORKFLOWS_BRIDGE_DLQ,
                    CONSUMER,
                    retry=RetryPolicy(initial_delay=0.001, max_delay=0.001),
                ),
                retry=NO_WAIT,
            )
        )
        await started.wait()

        async def retried() -> bool:
            return broker.attempts >= 5

        await eventually(retried)
        running.cancel()  # shutdown
        with pytest.raises(asyncio.CancelledError):
            await running

        assert message.acks == 0
        assert broker.published == []

    async def test_work_that_succeeds_is_acknowledged_once_and_nothing_parked(self) -> None:
        message, broker, work = FakeMessage(), FlakyBroker(), Failing(ConnectionError(), times=2)

        await process_then_ack(
            cast(KafkaMessage, message), work, dead_letters=dead_letters(broker), retry=NO_WAIT
        )

        assert (work.calls, message.acks, broker.published) == (3, 1, [])

    def test_the_backoff_doubles_up_to_its_cap_and_never_overflows(self) -> None:
        policy = RetryPolicy(initial_delay=0.5, max_delay=30.0)

        assert [policy.delay(n) for n in (1, 2, 3, 7, 10_000)] == [0.5, 1.0, 2.0, 30.0, 30.0]
