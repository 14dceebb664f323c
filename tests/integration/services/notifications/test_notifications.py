"""The notifications service against a real broker (Tansu), SMTP server (aiosmtpd) and database."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4, uuid5

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from deploy.local.engines import free_port
from libs.dossier_links import LinkKeys, Purpose, confirm_url, status_url, withdraw_url
from libs.kafka import publish_event
from libs.messages.applications import ApplicationReceived
from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.contract_events import ContractStatus, ContractStatusChanged, ContractTerms
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from libs.messages.topics import (
    APPLICATIONS,
    CONTRACT_EVENTS,
    DOSSIER_EVENTS,
    NOTIFICATIONS_DLQ,
    Headers,
)
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.conftest import SmtpServer
from tests.eventually import eventually
from tests.kafka_offsets import group_caught_up

pytestmark = pytest.mark.integration

T = TypeVar("T")

PUBLIC_INTAKE_URL = "https://candidater.eig.example.org"
LINK_KEY = bytes(range(64, 96))
LINK_SECRET = LINK_KEY.hex()
LINK_KEYS = LinkKeys.single(LINK_KEY)
PUBLIC_SELECTION_URL = "https://selection.eig.example.org"
STAFF_EMAIL = "equipe-integration@example.org"
PUBLIC_CONTRACTS_URL = "https://contrats.eig.example.org"


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
        "NOTIFICATIONS_CONTRACTS_CONSUMER_GROUP": contracts_group(group_id),
        "NOTIFICATIONS_APPLICATIONS_CONSUMER_GROUP": f"{group_id}-applications",
        "PUBLIC_CONTRACTS_URL": PUBLIC_CONTRACTS_URL,
        "NOTIFICATIONS_CREATE_TABLES": True,
        "PUBLIC_SELECTION_URL": PUBLIC_SELECTION_URL,
        "STAFF_EMAIL": STAFF_EMAIL,
        # Other tests' events are on the shared topic too: keep failures quick to go through.
        "SMTP_RETRY_INITIAL_DELAY": 0.01,
        "SMTP_RETRY_MAX_DELAY": 0.05,
        **overrides,
    }
    return NotificationsSettings(**values)  # type: ignore[arg-type]


def contracts_group(group_id: str) -> str:
    return f"{group_id}-contracts"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


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


def mails_to(smtp_server: SmtpServer, address: str) -> list[EmailMessage]:
    """Messages in the Maildir for one recipient (each test's contacts are unique)."""
    found = []
    for path in smtp_server.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"].addresses[0].addr_spec == address:
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
        link = status_url(PUBLIC_INTAKE_URL, LINK_KEYS, event.dossier_id)

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
            # The withdraw link has a token of its own: the status link cannot withdraw.
            assert withdraw_url(PUBLIC_INTAKE_URL, LINK_KEYS, event.dossier_id) in (
                text.get_content()
            )
            assert text.get_content().index("Hello") < text.get_content().index("Bonjour")

            await publish_event(publisher, DOSSIER_EVENTS, event)  # redelivery / replay
            await eventually(lambda: group_caught_up(kafka_bootstrap, group_id, DOSSIER_EVENTS))

            assert len(mails_about(smtp_server, event.dossier_id)) == 1
            metrics = (await client.get("/metrics")).text
            assert 'eig_notifications_sent_total{template="received/project"}' in metrics


class TestConfirmationRequest:
    async def test_a_received_application_gets_its_confirmation_link_once(
        self,
        kafka_bootstrap: str,
        sqlite_url: str,
        smtp_server: SmtpServer,
        publisher: KafkaBroker,
        group_id: str,
    ) -> None:
        settings = settings_for(kafka_bootstrap, sqlite_url, smtp_server.port, group_id)
        dossier_id = uuid4()
        event = ApplicationReceived(
            dossier_id=dossier_id,
            kind=DossierKind.CANDIDATE,
            title="technical_director",
            contact=Contact(name="Camille Martin", email=f"c-{dossier_id.hex[:12]}@example.org"),
            confirm_by=datetime.now(UTC) + timedelta(hours=72),
        )
        link = confirm_url(PUBLIC_INTAKE_URL, LINK_KEYS, dossier_id)

        async with running(create_app(settings)):
            await publish_event(publisher, APPLICATIONS, event)
            [mail] = await eventually(lambda: _async(mails_about(smtp_server, dossier_id)))
            await publish_event(publisher, APPLICATIONS, event)  # replayed
            applications_group = f"{group_id}-applications"
            await eventually(
                lambda: group_caught_up(kafka_bootstrap, applications_group, APPLICATIONS)
            )

        assert mail["To"].addresses[0].addr_spec == event.contact.email
        assert mail["Subject"] == (
            "EIG — Confirmez votre adresse e-mail pour enregistrer votre candidature"
        )
        text = mail.get_body(preferencelist=("plain",))
        assert text is not None
        assert text.get_content().count(link) == 2  # French, then English
        assert status_url(PUBLIC_INTAKE_URL, LINK_KEYS, dossier_id) not in text.get_content()
        assert len(mails_about(smtp_server, dossier_id)) == 1


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
        assert status_url(PUBLIC_INTAKE_URL, LINK_KEYS, shortlisted.dossier_id) in text
        assert text.index("We are pleased to invite you to an interview") < text.index(
            "Nous avons le plaisir de vous inviter à un entretien"
        )
        assert "Message from the team:\nInterviews take place in Paris." in text

        assert reminder["To"].addresses[0].addr_spec == STAFF_EMAIL
        assert reminder["Subject"].startswith("EIG — Relance : échéance dépassée")
        reminder_text = body_text(reminder)
        assert f"{PUBLIC_SELECTION_URL}/api/v1/dossiers/{overdue.dossier_id}" in reminder_text
        assert "12 mars 2025 à 14 h 00 (heure de Paris)" in reminder_text


class TestContractEmails:
    async def test_a_signed_contract_e_mails_the_eig_and_the_host_once_even_when_replayed(
        self,
        kafka_bootstrap: str,
        database_url: str,
        smtp_server: SmtpServer,
        publisher: KafkaBroker,
        group_id: str,
    ) -> None:
        settings = settings_for(kafka_bootstrap, database_url, smtp_server.port, group_id)
        suffix = uuid4().hex[:12]
        eig = Contact(name="Alex Dupont", email=f"alex-{suffix}@example.org", language=Language.EN)
        host = Contact(name="Dominique Hôte", email=f"host-{suffix}@example.gouv.fr")
        signed = ContractStatusChanged(
            dossier_id=uuid4(),
            contract_id=uuid4(),
            status=ContractStatus.SIGNED,
            previous_status=ContractStatus.ACCEPTED,
            action="countersign",
            actor="admin-1",
            terms=ContractTerms(
                contract_number="EIG-7-0042",
                version=1,
                promotion_number=7,
                pay_policy_version="7.1",
                eig_name="Alex Dupont",
                role=Role.TECHNICAL_DIRECTOR,
                years_of_experience=6,
                band="up_to_10_years",
                monthly_net_eur=Decimal("4250.00"),
                annual_fixed_net_eur=Decimal("51000.00"),
                variable_percent=Decimal("6"),
                max_annual_variable_eur=Decimal("3060.00"),
                term_months=12,
                start_on=date(2025, 9, 1),
                end_on=date(2026, 8, 31),
                project_title="Dites-le-nous une fois",
                host_administration="Direction interministérielle du numérique",
            ),
            contact=eig,
            host_contact=host,
        )

        async with running(create_app(settings)) as client:
            await publish_event(publisher, CONTRACT_EVENTS, signed)
            [confirmation] = await eventually(lambda: _async(mails_to(smtp_server, eig.email)))
            [letter] = await eventually(lambda: _async(mails_to(smtp_server, host.email)))

            await publish_event(publisher, CONTRACT_EVENTS, signed)  # redelivery / replay
            await eventually(
                lambda: group_caught_up(kafka_bootstrap, contracts_group(group_id), CONTRACT_EVENTS)
            )

            assert len(mails_to(smtp_server, eig.email)) == 1
            assert len(mails_to(smtp_server, host.email)) == 1
            metrics = (await client.get("/metrics")).text
            assert 'eig_notifications_sent_total{template="mission_letter/host"}' in metrics

        # One Message-ID per (event, template): stable across a resend, distinct between the two.
        assert confirmation["Message-ID"].strip() == message_id(signed, "contract_signed/candidate")
        assert letter["Message-ID"].strip() == message_id(signed, "mission_letter/host")

        assert confirmation["Subject"] == "EIG — Your project contract is signed"
        assert confirmation["Content-Language"] == "en, fr"
        text = body_text(confirmation)
        token = LINK_KEYS.token(Purpose.READ, signed.dossier_id)
        pdf = f"{PUBLIC_CONTRACTS_URL}/api/v1/contracts/{signed.contract_id}/document.pdf"
        assert f"{pdf}?token={token}" in text
        assert "monthly net pay: €4,250.00" in text
        assert "rémunération nette mensuelle : 4\u00a0250,00\u00a0€" in text
        assert text.index("starts on 1 September 2025") < text.index("commence le 1er septembre")

        assert letter["Subject"] == (
            "EIG — Lettre de mission : Alex Dupont, directeur ou directrice technique "
            "(contrat n° EIG-7-0042)"
        )
        letter_text = body_text(letter)
        assert "Bonjour Dominique Hôte," in letter_text
        assert "- début : 1er septembre 2025\n- fin : 31 août 2026 (12 mois)" in letter_text
        assert "« Dites-le-nous une fois »" in letter_text
        assert "€" not in letter_text
        assert token not in letter_text


def message_id(event: ContractStatusChanged, template: str) -> str:
    return f"<{uuid5(event.event_id, template)}@notifications.eig.beta.gouv.fr>"


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
