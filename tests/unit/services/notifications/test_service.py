from dataclasses import replace
from uuid import UUID

import pytest

from libs.kafka import RetryPolicy
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierEvent, DossierStatus
from libs.messages.dossier_events import Outcome as DossierOutcome
from services.notifications.mailer import MailDeliveryError
from services.notifications.rendering import TEMPLATES, EmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.service_layer import Delivery, Outcome, handle_dossier_event
from tests.unit.services.notifications.conftest import (
    ADDRESSING,
    SELECTION_URL,
    STAFF_EMAIL,
    DeadlinePassed,
    DossierReceived,
    StatusChanged,
)
from tests.unit.services.notifications.fakes import FakeMailer, FlakyRecords


def status_url_for(dossier_id: UUID) -> str:
    return f"https://eig.example.org/api/v1/dossiers/{dossier_id}?token=t"


async def handle(
    event: DossierEvent,
    sent_notifications: SentNotifications,
    mailer: FakeMailer,
    renderer: EmailRenderer | None = None,
) -> Outcome:
    return await handle_dossier_event(
        event,
        sent_notifications=sent_notifications,
        mailer=mailer,
        renderer=renderer or EmailRenderer(),
        addressing=replace(ADDRESSING, status_url_for=status_url_for),
    )


class TestReceivedDossier:
    async def test_the_acknowledgement_is_sent_to_the_contact_and_recorded(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = dossier_received(kind=DossierKind.PROJECT)

        outcome = await handle(event, sent_notifications, mailer)

        assert outcome.delivery is Delivery.SENT
        assert outcome.template == "received/project"
        [email] = mailer.sent
        assert email.to == event.contact
        assert status_url_for(event.dossier_id) in email.text
        assert await sent_notifications.contains(event.event_id)

    async def test_the_same_event_twice_sends_one_e_mail(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = dossier_received()

        first = await handle(event, sent_notifications, mailer)
        second = await handle(event, sent_notifications, mailer)

        assert (first.delivery, second.delivery) == (Delivery.SENT, Delivery.DUPLICATE)
        assert len(mailer.sent) == 1

    async def test_two_events_of_one_dossier_send_two_e_mails(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = dossier_received()
        resubmitted = event.model_copy(update={"event_id": UUID(int=event.event_id.int ^ 1)})

        await handle(event, sent_notifications, mailer)
        await handle(resubmitted, sent_notifications, mailer)

        assert [email.event_id for email in mailer.sent] == [event.event_id, resubmitted.event_id]


class TestStatusWithoutTemplate:
    async def test_nothing_is_sent_nor_recorded(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        projects_only = EmailRenderer(
            templates={k: v for k, v in TEMPLATES.items() if k.kind == DossierKind.PROJECT}
        )
        event = dossier_received(kind=DossierKind.CANDIDATE)

        outcome = await handle(event, sent_notifications, mailer, projects_only)

        assert outcome.delivery is Delivery.NO_TEMPLATE
        assert mailer.attempts == 0
        assert not await sent_notifications.contains(event.event_id)


class TestSelectionOutcome:
    async def test_the_outcome_e_mail_goes_to_the_contact_once(
        self, status_changed: StatusChanged, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = status_changed(
            DossierKind.CANDIDATE, DossierStatus.INTERVIEW, outcome="shortlisted"
        )

        first = await handle(event, sent_notifications, mailer)
        second = await handle(event, sent_notifications, mailer)

        assert (first.delivery, second.delivery) == (Delivery.SENT, Delivery.DUPLICATE)
        assert first.template == "shortlisted/candidate"
        [email] = mailer.sent
        assert email.to == event.contact
        assert status_url_for(event.dossier_id) in email.text

    @pytest.mark.parametrize(
        "status",
        [DossierStatus.IN_REVIEW, DossierStatus.ELIGIBLE, DossierStatus.DEFENDED],
    )
    async def test_a_silent_step_is_acknowledged_without_e_mail(
        self,
        status_changed: StatusChanged,
        sent_notifications: SentNotifications,
        status: DossierStatus,
    ) -> None:
        mailer = FakeMailer()
        event = status_changed(DossierKind.PROJECT, status)

        outcome = await handle(event, sent_notifications, mailer)

        assert outcome.delivery is Delivery.NO_TEMPLATE
        assert mailer.attempts == 0
        assert not await sent_notifications.contains(event.event_id)


class TestBackInThePoolAfterAContractOffer:
    @pytest.mark.parametrize(
        "outcome", [DossierOutcome.CONTRACT_DECLINED, DossierOutcome.OFFER_EXPIRED]
    )
    async def test_nothing_is_sent_the_contract_e_mail_already_told_the_candidate(
        self,
        status_changed: StatusChanged,
        sent_notifications: SentNotifications,
        outcome: DossierOutcome,
    ) -> None:
        mailer = FakeMailer()
        event = status_changed(
            DossierKind.CANDIDATE,
            DossierStatus.IN_POOL,
            outcome=outcome.value,
            previous_status=DossierStatus.SELECTED,
        )

        result = await handle(event, sent_notifications, mailer)

        assert result.delivery is Delivery.NO_TEMPLATE
        assert mailer.attempts == 0
        assert not await sent_notifications.contains(event.event_id)


class TestDeadlineReminder:
    async def test_the_reminder_goes_to_staff_once_even_when_redelivered(
        self, deadline_passed: DeadlinePassed, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = deadline_passed()

        first = await handle(event, sent_notifications, mailer)
        second = await handle(event, sent_notifications, mailer)

        assert (first.delivery, second.delivery) == (Delivery.SENT, Delivery.DUPLICATE)
        assert first.template == "deadline_passed/staff"
        [email] = mailer.sent
        assert email.to.email == STAFF_EMAIL
        assert f"{SELECTION_URL}/api/v1/dossiers/{event.dossier_id}" in email.text
        assert status_url_for(event.dossier_id) not in email.text
        assert await sent_notifications.contains(event.event_id)

    async def test_a_failed_reminder_is_not_recorded_so_the_retry_sends_it(
        self, deadline_passed: DeadlinePassed, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer(failures=1)
        event = deadline_passed()

        with pytest.raises(MailDeliveryError):
            await handle(event, sent_notifications, mailer)
        outcome = await handle(event, sent_notifications, mailer)

        assert outcome.delivery is Delivery.SENT
        assert len(mailer.sent) == 1


class TestRecordAfterSending:
    async def test_a_failed_record_write_is_retried_alone_never_a_second_send(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        records = FlakyRecords(sent_notifications, failures=3)
        event = dossier_received()

        outcome = await handle_dossier_event(
            event,
            sent_notifications=records,
            mailer=mailer,
            renderer=EmailRenderer(),
            addressing=replace(ADDRESSING, status_url_for=status_url_for),
            record_retry=RetryPolicy(initial_delay=0.0, max_delay=0.0),
        )

        assert outcome.delivery is Delivery.SENT
        assert len(mailer.sent) == 1
        assert records.writes == 4
        assert await sent_notifications.contains(event.event_id)


class TestSmtpFailure:
    async def test_it_raises_records_nothing_and_the_next_attempt_sends(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer(failures=1)
        event = dossier_received()

        with pytest.raises(MailDeliveryError):
            await handle(event, sent_notifications, mailer)
        assert not await sent_notifications.contains(event.event_id)

        outcome = await handle(event, sent_notifications, mailer)

        assert outcome.delivery is Delivery.SENT
        assert len(mailer.sent) == 1
        assert await sent_notifications.contains(event.event_id)
