import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY

from libs.kafka import publish_event
from libs.messages.common import DossierKind
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import CONTRACT_EVENTS, DOSSIER_EVENTS, NOTIFICATIONS_DLQ, Headers
from services.notifications.bootstrap import bootstrap, create_tables
from services.notifications.contract_emails import MISSION_LETTER, SIGNED
from services.notifications.settings import NotificationsSettings
from tests.unit.services.notifications.conftest import (
    STAFF_EMAIL,
    DeadlinePassed,
    DossierReceived,
    StatusChanged,
    contract_changed,
)
from tests.unit.services.notifications.fakes import FakeMailer, RefusingMailer

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


def parked(consumer: str, reason: str) -> float:
    labels = {"consumer": consumer, "reason": reason}
    return REGISTRY.get_sample_value("eig_kafka_dead_lettered_total", labels) or 0.0


class TestLogLines:
    async def test_each_line_of_the_consumer_carries_the_ids_and_no_address(
        self, sqlite_url: str, dossier_received: DossierReceived, json_lines: list[str]
    ) -> None:
        event = dossier_received()
        # A refusal first: the retry's lines, logged by the consumer policy, carry them too.
        async with running_consumer(sqlite_url, FakeMailer(failures=1)) as harness:
            await publish_event(harness.broker, DOSSIER_EVENTS, event)
            [email] = harness.mailer.sent

        lines = [json.loads(line) for line in json_lines]
        about = [line for line in lines if line.get("consumer") == "notifications-dossier-events"]
        messages = [line["message"] for line in about]
        assert any("not sent" in message for message in messages)
        assert any("retrying" in message for message in messages)
        assert any(message.startswith("e-mail received/candidate sent") for message in messages)
        for line in about:
            assert line["dossier_id"] == str(event.dossier_id)
            assert line["event_id"] == str(event.event_id)
        address = email.to.email
        assert not [line for line in json_lines if address in line or "<email>" in line]


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

    async def test_a_permanent_refusal_goes_to_the_dead_letters_at_once(
        self, sqlite_url: str, dossier_received: DossierReceived
    ) -> None:
        event = dossier_received()
        refused_before = parked("notifications-dossier-events", "refused")

        async with running_consumer(sqlite_url, FakeMailer(1_000, permanent=True)) as running:
            await publish_event(running.broker, DOSSIER_EVENTS, event)

            assert running.mailer.attempts == 1
            [dead_letter] = running.dead_letters
            assert dead_letter.headers[Headers.DLQ_ERROR].startswith("PermanentDeliveryError")
            assert dead_letter.body == event.model_dump_json().encode()
        assert parked("notifications-dossier-events", "refused") == refused_before + 1


class TestContractEventConsumer:
    async def test_a_signed_contract_e_mails_the_eig_and_the_host(
        self, working_smtp: Harness
    ) -> None:
        event = contract_changed(ContractStatus.SIGNED)
        before = {t: counter("sent", template=t) for t in (SIGNED.name, MISSION_LETTER.name)}

        await publish_event(working_smtp.broker, CONTRACT_EVENTS, event)

        confirmation, letter = working_smtp.mailer.sent
        assert (confirmation.to, letter.to) == (event.contact, event.host_contact)
        assert working_smtp.dead_letters == []
        for template, count in before.items():
            assert counter("sent", template=template) == count + 1

    async def test_a_redelivered_contract_event_sends_nothing_more(
        self, working_smtp: Harness
    ) -> None:
        event = contract_changed(ContractStatus.SIGNED)
        duplicates_before = counter("skipped_duplicates")

        await publish_event(working_smtp.broker, CONTRACT_EVENTS, event)
        await publish_event(working_smtp.broker, CONTRACT_EVENTS, event)

        assert len(working_smtp.mailer.sent) == 2
        assert counter("skipped_duplicates") == duplicates_before + 2

    async def test_a_dossier_event_and_a_contract_event_do_not_dedupe_each_other(
        self, working_smtp: Harness, dossier_received: DossierReceived
    ) -> None:
        contract_event = contract_changed(ContractStatus.OFFER_SENT)
        # Even with the very same event id, each stream's e-mails have their own keys.
        dossier_event = dossier_received().model_copy(update={"event_id": contract_event.event_id})

        await publish_event(working_smtp.broker, CONTRACT_EVENTS, contract_event)
        await publish_event(working_smtp.broker, DOSSIER_EVENTS, dossier_event)

        assert [email.template for email in working_smtp.mailer.sent] == [
            "contract_offer/candidate",
            "received/candidate",
        ]

    async def test_a_refused_host_e_mail_is_retried_without_repeating_the_eigs(
        self, sqlite_url: str
    ) -> None:
        mailer = RefusingMailer({MISSION_LETTER.name: MAX_ATTEMPTS - 1})
        failures_before = counter("smtp_failures")

        async with running_consumer(sqlite_url, mailer) as running:
            await publish_event(running.broker, CONTRACT_EVENTS, contract_changed())

            assert [email.template for email in running.mailer.sent] == [
                SIGNED.name,
                MISSION_LETTER.name,
            ]
            assert running.mailer.attempts == 1 + MAX_ATTEMPTS
            assert running.dead_letters == []
            assert counter("smtp_failures") == failures_before + MAX_ATTEMPTS - 1

    async def test_a_host_address_refused_for_good_is_dead_lettered_at_once_the_eig_served(
        self, sqlite_url: str
    ) -> None:
        mailer = RefusingMailer({MISSION_LETTER.name: None}, permanent=True)

        async with running_consumer(sqlite_url, mailer) as running:
            await publish_event(running.broker, CONTRACT_EVENTS, contract_changed())

            [dead_letter] = running.dead_letters
            assert dead_letter.headers[Headers.DLQ_ERROR].startswith("ContractEmailsRefused")
            assert [email.template for email in running.mailer.sent] == [SIGNED.name]
            assert running.mailer.attempts == 2  # the EIG's, then the host's once

    async def test_after_the_last_attempt_the_event_is_dead_lettered_and_its_replay_sends_the_rest(
        self, sqlite_url: str
    ) -> None:
        mailer = RefusingMailer({MISSION_LETTER.name: None})
        event = contract_changed(ContractStatus.SIGNED)
        dead_lettered_before = counter("dead_lettered")

        async with running_consumer(sqlite_url, mailer) as running:
            await publish_event(running.broker, CONTRACT_EVENTS, event)

            [dead_letter] = running.dead_letters
            assert dead_letter.headers[Headers.DLQ_ERROR].startswith("ContractEmailsNotSent")
            assert MISSION_LETTER.name in dead_letter.headers[Headers.DLQ_ERROR]
            assert dead_letter.headers[Headers.DLQ_SOURCE_TOPIC] == CONTRACT_EVENTS
            assert dead_letter.body == event.model_dump_json().encode()
            assert counter("dead_lettered") == dead_lettered_before + 1
            assert [email.template for email in running.mailer.sent] == [SIGNED.name]

            # The host's server is back; an operator replays the dead letter.
            mailer.refused.clear()
            await running.broker.publish(dead_letter.body, topic=CONTRACT_EVENTS)

            assert [email.template for email in running.mailer.sent] == [
                SIGNED.name,
                MISSION_LETTER.name,
            ]

    async def test_a_silent_contract_status_is_acknowledged_without_e_mail(
        self, working_smtp: Harness
    ) -> None:
        silent_before = counter("without_template", status="contract_accepted")

        await publish_event(
            working_smtp.broker, CONTRACT_EVENTS, contract_changed(ContractStatus.ACCEPTED)
        )

        assert working_smtp.mailer.attempts == 0
        assert working_smtp.dead_letters == []
        assert counter("without_template", status="contract_accepted") == silent_before + 1

    async def test_an_event_type_added_later_is_skipped_not_dead_lettered(
        self, working_smtp: Harness
    ) -> None:
        await working_smtp.broker.publish(
            b'{"type": "ContractAmended", "event_id": "x"}', topic=CONTRACT_EVENTS
        )

        assert working_smtp.mailer.attempts == 0
        assert working_smtp.dead_letters == []

    @pytest.mark.parametrize(
        "body", [b'{"type": "ContractStatusChanged"}', b"not json", b'["a", "list"]']
    )
    async def test_an_unreadable_contract_event_goes_to_the_dead_letters_without_retry(
        self, working_smtp: Harness, body: bytes
    ) -> None:
        await working_smtp.broker.publish(body, topic=CONTRACT_EVENTS)

        [dead_letter] = working_smtp.dead_letters
        assert dead_letter.headers[Headers.DLQ_ERROR].startswith("ValidationError")
        assert dead_letter.headers[Headers.DLQ_SOURCE_TOPIC] == CONTRACT_EVENTS
        assert working_smtp.mailer.attempts == 0
