"""The one consumer policy: each event type to its handler, unknown types skipped and counted,
unreadable messages dead-lettered (FastStream's in-memory broker; the real one in integration)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY

from libs.kafka import (
    POISON_ERRORS,
    EventRouter,
    Handler,
    RetryPolicy,
    event_type,
    publish_event,
    subscribe_events,
)
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.envelope import Event
from libs.messages.topics import APPLICATIONS, WORKFLOWS_BRIDGE_DLQ, Headers
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
