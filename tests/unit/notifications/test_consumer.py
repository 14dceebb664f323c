from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY

from libs.kafka import publish_event
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import DOSSIER_EVENTS, NOTIFICATIONS_DLQ, Headers
from services.notifications.bootstrap import bootstrap, create_tables
from services.notifications.mailer import FakeMailer
from services.notifications.settings import NotificationsSettings
from tests.unit.notifications.conftest import (
    STAFF_EMAIL,
    DeadlinePassed,
    DossierReceived,
    StatusChanged,
)

MAX_ATTEMPTS = 3


@dataclass
class Harness:
    broker: KafkaBroker
    mailer: FakeMailer
    dead_letters: list[KafkaMessage]


@asynccontextmanager
async def running_consumer(sqlite_url: str, mailer: FakeMailer) -> AsyncIterator[Harness]:
    """The real consumer wiring on FastStream's in-memory broker, with a dead-letter collector."""
    settings = NotificationsSettings(
        DATABASE_URL=sqlite_url,
        SMTP_MAX_ATTEMPTS=MAX_ATTEMPTS,
        SMTP_RETRY_INITIAL_DELAY=0.001,
        SMTP_RETRY_MAX_DELAY=0.001,
        NOTIFICATIONS_CREATE_TABLES=True,
        STAFF_EMAIL=STAFF_EMAIL,
    )
    notifications = bootstrap(settings, mailer=mailer)
    dead_letters: list[KafkaMessage] = []

    @notifications.broker.subscriber(NOTIFICATIONS_DLQ)
    async def collect(message: KafkaMessage) -> None:
        dead_letters.append(message)

    await create_tables(notifications)
    async with TestKafkaBroker(notifications.broker) as broker:
        yield Harness(broker, mailer, dead_letters)
    await notifications.engine.dispose()


@pytest.fixture
async def working_smtp(sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_consumer(sqlite_url, FakeMailer()) as running:
        yield running


@pytest.fixture
async def failing_smtp(sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_consumer(sqlite_url, FakeMailer(failures=1_000)) as running:
        yield running


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"eig_notifications_{name}_total", labels) or 0.0


class TestDossierEventConsumer:
    async def test_a_received_event_sends_the_acknowledgement(
        self, working_smtp: Harness, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received()
        sent_before = counter("sent", template="received/candidate")

        await publish_event(working_smtp.broker, DOSSIER_EVENTS, event)

        [email] = working_smtp.mailer.sent
        assert email.event_id == event.event_id
        assert working_smtp.dead_letters == []
        assert counter("sent", template="received/candidate") == sent_before + 1

    async def test_a_redelivered_event_sends_nothing_more(
        self, working_smtp: Harness, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received()
        duplicates_before = counter("skipped_duplicates")

        await publish_event(working_smtp.broker, DOSSIER_EVENTS, event)
        await publish_event(working_smtp.broker, DOSSIER_EVENTS, event)

        assert len(working_smtp.mailer.sent) == 1
        assert counter("skipped_duplicates") == duplicates_before + 1

    async def test_a_deadline_event_sends_the_staff_reminder_once(
        self, working_smtp: Harness, deadline_passed: DeadlinePassed
    ) -> None:
        event = deadline_passed()
        sent_before = counter("sent", template="deadline_passed/staff")

        await publish_event(working_smtp.broker, DOSSIER_EVENTS, event)
        await publish_event(working_smtp.broker, DOSSIER_EVENTS, event)

        [email] = working_smtp.mailer.sent
        assert email.event_id == event.event_id
        assert email.to.email == STAFF_EMAIL
        assert working_smtp.dead_letters == []
        assert counter("sent", template="deadline_passed/staff") == sent_before + 1

    async def test_a_silent_step_is_acknowledged_without_e_mail(
        self, working_smtp: Harness, status_changed: StatusChanged
    ) -> None:
        silent_before = counter("without_template", status="eligible")

        await publish_event(
            working_smtp.broker,
            DOSSIER_EVENTS,
            status_changed(DossierKind.PROJECT, DossierStatus.ELIGIBLE),
        )

        assert working_smtp.mailer.attempts == 0
        assert working_smtp.dead_letters == []
        assert counter("without_template", status="eligible") == silent_before + 1

    async def test_an_unparseable_event_goes_to_the_dead_letters_without_retry(
        self, working_smtp: Harness
    ) -> None:
        await working_smtp.broker.publish(b'{"type": "DossierStatusChanged"}', topic=DOSSIER_EVENTS)

        [dead_letter] = working_smtp.dead_letters
        assert dead_letter.headers[Headers.DLQ_ERROR].startswith("ValidationError")
        assert working_smtp.mailer.attempts == 0


class TestSmtpFailures:
    async def test_a_transient_failure_is_retried_and_sends_once(
        self, sqlite_url: str, dossier_received: DossierReceived
    ) -> None:
        async with running_consumer(sqlite_url, FakeMailer(failures=MAX_ATTEMPTS - 1)) as running:
            await publish_event(running.broker, DOSSIER_EVENTS, dossier_received())

            assert running.mailer.attempts == MAX_ATTEMPTS
            assert len(running.mailer.sent) == 1
            assert running.dead_letters == []

    async def test_after_the_last_attempt_the_event_goes_to_the_dead_letters(
        self, failing_smtp: Harness, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received()
        failures_before, dead_lettered_before = counter("smtp_failures"), counter("dead_lettered")

        await publish_event(failing_smtp.broker, DOSSIER_EVENTS, event)

        assert failing_smtp.mailer.attempts == MAX_ATTEMPTS
        assert counter("smtp_failures") == failures_before + MAX_ATTEMPTS
        assert counter("dead_lettered") == dead_lettered_before + 1
        [dead_letter] = failing_smtp.dead_letters
        assert dead_letter.headers[Headers.DLQ_ERROR].startswith("MailDeliveryError")
        assert dead_letter.headers[Headers.DLQ_SOURCE_TOPIC] == DOSSIER_EVENTS
        assert dead_letter.body == event.model_dump_json().encode()
