"""What the operations report reads of e-mails: each refused attempt, and each e-mail's delay
from its event to SMTP's acceptance."""

from datetime import timedelta

import pytest
from sqlmodel import select

from services.notifications.mailer import MailDeliveryError
from services.notifications.models import NotificationFailure, SentNotification
from services.notifications.repository import SentNotifications
from tests.unit.services.notifications.conftest import DossierReceived
from tests.unit.services.notifications.fakes import FakeMailer
from tests.unit.services.notifications.test_service import handle


class TestDeliveryRecords:
    async def test_a_refused_attempt_is_recorded_without_the_recipient_then_the_delay_of_the_send(
        self, dossier_received: DossierReceived, sent_notifications: SentNotifications
    ) -> None:
        mailer = FakeMailer(failures=1)
        event = dossier_received(name="Camille Martin")
        event = event.model_copy(update={"occurred_at": event.occurred_at - timedelta(minutes=3)})

        with pytest.raises(MailDeliveryError):
            await handle(event, sent_notifications, mailer)
        outcome = await handle(event, sent_notifications, mailer)

        async with sent_notifications._sessions() as session:
            (failure,) = (await session.exec(select(NotificationFailure))).all()
            (sent,) = (await session.exec(select(SentNotification))).all()
        assert failure.notification_id == event.event_id
        assert (failure.dossier_id, failure.template) == (event.dossier_id, sent.template)
        assert failure.error == "fake SMTP failure"
        assert "Camille" not in failure.error and event.contact.email not in failure.error
        assert sent.event_occurred_at == event.occurred_at
        assert outcome.delay_seconds is not None
        assert 180 <= outcome.delay_seconds < 240
        assert sent.sent_at - event.occurred_at == timedelta(seconds=outcome.delay_seconds)
