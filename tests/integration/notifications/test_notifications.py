"""The notifications service against a real broker (Tansu), SMTP server (aiosmtpd) and database."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from deploy.local.engines import free_port
from libs.dossier_links import status_url
from libs.kafka import create_broker, publish_event
from libs.messages.common import Contact, DossierKind, Language
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from libs.messages.topics import DOSSIER_EVENTS, NOTIFICATIONS_DLQ, Headers
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.conftest import SmtpServer
from tests.eventually import eventually
from tests.kafka_offsets import group_caught_up

pytestmark = pytest.mark.integration

T = TypeVar("T")

PUBLIC_INTAKE_URL = "https://candidater.eig.example.org"
LINK_SECRET = "integration-link-secret"
PUBLIC_SELECTION_URL = "https://selection.eig.example.org"
STAFF_EMAIL = "equipe-integration@example.org"


def settings_for(
    kafka_bootstrap: str, database_url: str, smtp_port: int, group_id: str, **overrides: object
) -> NotificationsSettings:
    values: dict[str, object] = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "PUBLIC_INTAKE_URL": PUBLIC_INTAKE_URL,
        "DOSSIER_LINK_SECRET": LINK_SECRET,
        "NOTIFICATIONS_CONSUMER_GROUP": group_id,
        "NOTIFICATIONS_CREATE_TABLES": True,
        "PUBLIC_SELECTION_URL": PUBLIC_SELECTION_URL,
        "STAFF_EMAIL": STAFF_EMAIL,
        # Other tests' events are on the shared topic too: keep failures quick to go through.
        "SMTP_RETRY_INITIAL_DELAY": 0.01,
        "SMTP_RETRY_MAX_DELAY": 0.05,
        **overrides,
    }
    return NotificationsSettings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture(scope="module")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(kafka_bootstrap, client_id="notifications-tests")
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture
def group_id() -> str:
    return f"notifications-test-{uuid4().hex[:12]}"


def dossier_received(language: Language, kind: DossierKind = DossierKind.CANDIDATE):
    dossier_id = uuid4()
    return DossierStatusChanged(
        dossier_id=dossier_id,
        kind=kind,
        status=DossierStatus.RECEIVED,
        title="product_director" if kind == DossierKind.CANDIDATE else "Dites-le-nous une fois",
        contact=Contact(
            name="Camille Martin",
            email=f"camille-{dossier_id.hex[:12]}@example.org",
            language=language,
        ),
    )


def mails_about(smtp_server: SmtpServer, dossier_id: UUID) -> list[EmailMessage]:
    """Messages in the Maildir for this dossier (the shared topic holds other tests' events)."""
    found = []
    for path in smtp_server.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        text = message.get_body(preferencelist=("plain",))
        if text is not None and str(dossier_id) in text.get_content():
            found.append(message)
    return found


async def dead_letters_about(kafka_bootstrap: str, dossier_id: UUID) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(NOTIFICATIONS_DLQ, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        records: list[ConsumerRecord] = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            records += batch.get(partition, [])
        return [record for record in records if record.key == str(dossier_id).encode()]
    finally:
        await consumer.stop()


class TestAcknowledgementEmail:
    async def test_a_received_dossier_gets_exactly_one_e_mail_even_when_redelivered(
        self,
        kafka_bootstrap: str,
        database_url: str,
        smtp_server: SmtpServer,
        publisher: KafkaBroker,
        group_id: str,
    ) -> None:
        settings = settings_for(kafka_bootstrap, database_url, smtp_server.port, group_id)
        event = dossier_received(Language.EN, DossierKind.PROJECT)
        link = status_url(PUBLIC_INTAKE_URL, LINK_SECRET, event.dossier_id)

        async with running(create_app(settings)) as client:
            assert (await client.get("/readyz")).status_code == 200

            await publish_event(publisher, DOSSIER_EVENTS, event)
            [mail] = await eventually(lambda: _async(mails_about(smtp_server, event.dossier_id)))

            assert mail["To"].addresses[0].addr_spec == event.contact.email
            assert mail["Subject"] == "EIG — We have received your project"
            assert mail["Content-Language"] == "en, fr"
            # strip(): the long header is folded (valid RFC 5322 CFWS before the msg-id).
            assert (
                mail["Message-ID"].strip() == f"<{event.event_id}@notifications.eig.beta.gouv.fr>"
            )
            text = mail.get_body(preferencelist=("plain",))
            assert text is not None
            assert link in text.get_content()
            assert text.get_content().index("Hello") < text.get_content().index("Bonjour")

            await publish_event(publisher, DOSSIER_EVENTS, event)  # redelivery / replay
            await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

            assert len(mails_about(smtp_server, event.dossier_id)) == 1
            metrics = (await client.get("/metrics")).text
            assert 'eig_notifications_sent_total{template="received/project"}' in metrics


class TestSelectionOutcomesAndReminders:
    async def test_an_outcome_and_a_staff_reminder_each_land_exactly_once(
        self,
        kafka_bootstrap: str,
        database_url: str,
        smtp_server: SmtpServer,
        publisher: KafkaBroker,
        group_id: str,
    ) -> None:
        settings = settings_for(kafka_bootstrap, database_url, smtp_server.port, group_id)
        shortlisted = DossierStatusChanged(
            dossier_id=uuid4(),
            kind=DossierKind.CANDIDATE,
            status=DossierStatus.INTERVIEW,
            previous_status=DossierStatus.IN_REVIEW,
            action="record_review",
            outcome="shortlisted",
            actor="staff-42",
            note="Interviews take place in Paris.",
            title="technical_director",
            contact=Contact(
                name="Alex Dupont",
                email=f"alex-{uuid4().hex[:12]}@example.org",
                language=Language.EN,
            ),
        )
        overdue = DossierDeadlinePassed(
            dossier_id=uuid4(),
            kind=DossierKind.PROJECT,
            status=DossierStatus.IN_EVALUATION,
            title="Dites-le-nous une fois",
            deadline_at=datetime(2025, 3, 12, 13, 0, tzinfo=UTC),
        )

        async with running(create_app(settings)):
            for event in (shortlisted, overdue, shortlisted, overdue):  # with redeliveries
                await publish_event(publisher, DOSSIER_EVENTS, event)
            [outcome_mail] = await eventually(
                lambda: _async(mails_about(smtp_server, shortlisted.dossier_id))
            )
            [reminder] = await eventually(
                lambda: _async(mails_about(smtp_server, overdue.dossier_id))
            )
            await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

            assert len(mails_about(smtp_server, shortlisted.dossier_id)) == 1
            assert len(mails_about(smtp_server, overdue.dossier_id)) == 1

        assert outcome_mail["To"].addresses[0].addr_spec == shortlisted.contact.email
        assert outcome_mail["Subject"] == (
            "EIG — Your application is shortlisted: invitation to an interview"
        )
        text = body_text(outcome_mail)
        assert status_url(PUBLIC_INTAKE_URL, LINK_SECRET, shortlisted.dossier_id) in text
        assert text.index("We are pleased to invite you to an interview") < text.index(
            "Nous avons le plaisir de vous inviter à un entretien"
        )
        assert "Message from the team:\nInterviews take place in Paris." in text

        assert reminder["To"].addresses[0].addr_spec == STAFF_EMAIL
        assert reminder["Subject"].startswith("EIG — Relance : échéance dépassée")
        reminder_text = body_text(reminder)
        assert f"{PUBLIC_SELECTION_URL}/api/v1/dossiers/{overdue.dossier_id}" in reminder_text
        assert "12 mars 2025 à 14 h 00 (heure de Paris)" in reminder_text


class TestSmtpDown:
    async def test_the_event_is_dead_lettered_and_the_consumer_moves_on(
        self,
        kafka_bootstrap: str,
        sqlite_url: str,
        tmp_path: Path,
        publisher: KafkaBroker,
        group_id: str,
    ) -> None:
        smtp = SmtpServer("127.0.0.1", free_port(), tmp_path / "mail")  # nothing listens yet
        settings = settings_for(
            kafka_bootstrap, sqlite_url, smtp.port, group_id, SMTP_MAX_ATTEMPTS=3
        )
        undeliverable = dossier_received(Language.FR)
        following = dossier_received(Language.FR)

        async with running(create_app(settings)) as client:
            readiness = await client.get("/readyz")
            assert readiness.status_code == 503
            assert readiness.json()["checks"]["smtp"].startswith("unreachable")

            await publish_event(publisher, DOSSIER_EVENTS, undeliverable)
            [dead_letter] = await eventually(
                lambda: dead_letters_about(kafka_bootstrap, undeliverable.dossier_id)
            )
            await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

            headers = {name: value.decode() for name, value in dead_letter.headers}
            assert headers[Headers.DLQ_ERROR].startswith("MailDeliveryError")
            assert headers[Headers.DLQ_SOURCE_TOPIC] == DOSSIER_EVENTS
            assert dead_letter.value == undeliverable.model_dump_json().encode()

            # SMTP comes back: the consumer handles the next event and never returns to the
            # dead-lettered one (its offset is committed).
            with smtp_listening(smtp):
                await publish_event(publisher, DOSSIER_EVENTS, following)
                [mail] = await eventually(lambda: _async(mails_about(smtp, following.dossier_id)))
                await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

                assert mail["Subject"] == "EIG — Nous avons bien reçu votre candidature"
                assert mails_about(smtp, undeliverable.dossier_id) == []


@contextmanager
def smtp_listening(smtp: SmtpServer) -> Iterator[None]:
    controller = Controller(Mailbox(smtp.maildir), hostname=smtp.host, port=smtp.port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def body_text(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    return str(text.get_content())


async def _async(value: T) -> T:
    """Lets ``eventually`` poll a synchronous probe."""
    return value
