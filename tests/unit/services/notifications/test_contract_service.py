"""One contract event in, each of its e-mails out once: dedupe per (event, template), and what
a crash or an SMTP failure between two e-mails of one event leads to."""

from uuid import UUID, uuid4

import pytest

from libs.messages.contract_events import ContractEvent, ContractStatus
from services.notifications.contract_emails import (
    MISSION_LETTER,
    SIGNED,
    ContractEmailRenderer,
)
from services.notifications.mailer import MailDeliveryError
from services.notifications.models import SentNotification
from services.notifications.rendering import OutgoingEmail, notification_id
from services.notifications.repository import SentNotifications
from services.notifications.service_layer import (
    ContractEmailsNotSent,
    Delivery,
    Outcome,
    handle_contract_event,
)
from tests.unit.services.notifications.conftest import CONTRACT_ADDRESSING, contract_changed
from tests.unit.services.notifications.fakes import FakeMailer, RefusingMailer


class ProcessCrashed(BaseException):
    """Stands for the process dying: nothing catches it, as nothing survives a kill -9."""


class CrashingMailer(FakeMailer):
    """Dies when asked to send the e-mail of one template."""

    def __init__(self, crash_on: str) -> None:
        super().__init__()
        self._crash_on = crash_on

    async def send(self, email: OutgoingEmail) -> None:
        if email.template == self._crash_on:
            raise ProcessCrashed
        await super().send(email)


class CrashBeforeRecording(SentNotifications):
    """The process dies after SMTP accepted one template's e-mail, before it was recorded."""

    def __init__(self, inner: SentNotifications, crash_on: str) -> None:
        self._inner = inner
        self._crash_on = crash_on

    async def contains(self, key: UUID) -> bool:
        return await self._inner.contains(key)

    async def add(self, notification: SentNotification) -> bool:
        if notification.template == self._crash_on:
            raise ProcessCrashed
        return await self._inner.add(notification)


async def handle(
    event: ContractEvent, sent_notifications: SentNotifications, mailer: FakeMailer
) -> tuple[Outcome, ...]:
    return await handle_contract_event(
        event,
        sent_notifications=sent_notifications,
        mailer=mailer,
        renderer=ContractEmailRenderer(),
        addressing=CONTRACT_ADDRESSING,
    )


def key(event: ContractEvent, template: str) -> UUID:
    return notification_id(event.event_id, template)


class TestSignedContract:
    async def test_the_eig_and_the_host_each_get_their_e_mail_recorded_under_its_own_key(
        self, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = contract_changed(ContractStatus.SIGNED)

        outcomes = await handle(event, sent_notifications, mailer)

        assert outcomes == (
            Outcome(Delivery.SENT, SIGNED.name),
            Outcome(Delivery.SENT, MISSION_LETTER.name),
        )
        confirmation, letter = mailer.sent
        assert confirmation.to == event.contact
        assert letter.to == event.host_contact
        for template in (SIGNED.name, MISSION_LETTER.name):
            assert await sent_notifications.contains(notification_id(event.event_id, template))
        # The event id alone stays free: it is how a dossier event's e-mail is recorded.
        assert not await sent_notifications.contains(event.event_id)

    async def test_the_same_event_again_sends_nothing(
        self, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        event = contract_changed(ContractStatus.SIGNED)

        await handle(event, sent_notifications, mailer)
        again = await handle(event, sent_notifications, mailer)

        assert again == (
            Outcome(Delivery.DUPLICATE, SIGNED.name),
            Outcome(Delivery.DUPLICATE, MISSION_LETTER.name),
        )
        assert len(mailer.sent) == 2

    async def test_a_crash_between_the_two_e_mails_resumes_with_the_second_only(
        self, sent_notifications: SentNotifications
    ) -> None:
        event = contract_changed(ContractStatus.SIGNED)
        before_crash = CrashingMailer(crash_on=MISSION_LETTER.name)

        with pytest.raises(ProcessCrashed):
            await handle(event, sent_notifications, before_crash)
        after_restart = FakeMailer()
        outcomes = await handle(event, sent_notifications, after_restart)

        assert [email.template for email in before_crash.sent] == [SIGNED.name]
        assert [email.template for email in after_restart.sent] == [MISSION_LETTER.name]
        assert outcomes == (
            Outcome(Delivery.DUPLICATE, SIGNED.name),
            Outcome(Delivery.SENT, MISSION_LETTER.name),
        )

    async def test_a_crash_after_smtp_accepted_but_before_the_record_resends_that_one_alike(
        self, sent_notifications: SentNotifications
    ) -> None:
        # The one window no local record can close: the e-mail goes again (at least once),
        # with the same Message-ID, so mail systems and people see it is the same e-mail.
        event = contract_changed(ContractStatus.SIGNED)
        before_crash = FakeMailer()
        crashing = CrashBeforeRecording(sent_notifications, crash_on=MISSION_LETTER.name)

        with pytest.raises(ProcessCrashed):
            await handle(event, crashing, before_crash)
        after_restart = FakeMailer()
        await handle(event, sent_notifications, after_restart)

        [resent] = after_restart.sent
        assert resent.template == MISSION_LETTER.name
        assert resent.message_id == before_crash.sent[1].message_id
        assert resent.text == before_crash.sent[1].text

    async def test_a_refused_e_mail_does_not_hold_up_the_other_and_is_retried_alone(
        self, sent_notifications: SentNotifications
    ) -> None:
        event = contract_changed(ContractStatus.SIGNED)
        mailer = RefusingMailer(refused={SIGNED.name: None})

        with pytest.raises(ContractEmailsNotSent) as refused:
            await handle(event, sent_notifications, mailer)

        assert set(refused.value.failures) == {SIGNED.name}
        assert isinstance(refused.value, MailDeliveryError)  # so the consumer retries it
        assert [email.template for email in mailer.sent] == [MISSION_LETTER.name]
        assert not await sent_notifications.contains(key(event, SIGNED.name))

        mailer.refused.clear()
        outcomes = await handle(event, sent_notifications, mailer)

        assert outcomes == (
            Outcome(Delivery.SENT, SIGNED.name),
            Outcome(Delivery.DUPLICATE, MISSION_LETTER.name),
        )
        assert [email.template for email in mailer.sent] == [MISSION_LETTER.name, SIGNED.name]


class TestOtherContractEvents:
    @pytest.mark.parametrize(
        "status",
        [ContractStatus.DRAFTED, ContractStatus.ACCEPTED, ContractStatus.ACTIVE],
    )
    async def test_a_silent_status_sends_and_records_nothing(
        self, sent_notifications: SentNotifications, status: ContractStatus
    ) -> None:
        mailer = FakeMailer()

        outcomes = await handle(contract_changed(status), sent_notifications, mailer)

        assert outcomes == ()
        assert mailer.attempts == 0

    async def test_two_events_of_one_contract_send_their_own_e_mails(
        self, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer()
        offer = contract_changed(ContractStatus.OFFER_SENT)
        declined = offer.model_copy(
            update={
                "event_id": uuid4(),
                "status": ContractStatus.DECLINED,
                "offer_expires_at": None,
            }
        )

        await handle(offer, sent_notifications, mailer)
        await handle(declined, sent_notifications, mailer)

        assert [email.template for email in mailer.sent] == [
            "contract_offer/candidate",
            "contract_declined/candidate",
        ]
