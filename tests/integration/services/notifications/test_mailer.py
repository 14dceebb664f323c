"""SmtpMailer against real aiosmtpd servers: which refusals are permanent (dead-lettered at
once) and which are worth retrying."""

import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deploy.local.engines import free_port
from libs.messages.common import Contact
from services.notifications.mailer import (
    MailDeliveryError,
    PermanentDeliveryError,
    SmtpMailer,
    is_permanent,
)
from services.notifications.rendering import OutgoingEmail

pytestmark = pytest.mark.integration


class RefusingRecipients:
    """An aiosmtpd handler answering every RCPT TO with ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return self.answer


def serving(handler: object) -> Iterator[SmtpMailer]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpMailer("127.0.0.1", controller.port, mail_from="eig@example.org", timeout=30)
    finally:
        controller.stop()


@pytest.fixture
def refusing_for_good() -> Iterator[SmtpMailer]:
    yield from serving(RefusingRecipients("550 5.1.1 no such mailbox"))


@pytest.fixture
def refusing_for_now() -> Iterator[SmtpMailer]:
    yield from serving(RefusingRecipients("451 4.3.0 try again later"))


def email() -> OutgoingEmail:
    return OutgoingEmail(
        event_id=uuid.uuid4(),
        notification_id=uuid.uuid4(),
        dossier_id=uuid.uuid4(),
        template="received",
        to=Contact(name="Camille Martin", email="camille@example.org"),
        subject="Dossier reçu",
        text="Bonjour",
        html="<p>Bonjour</p>",
    )


class TestRefusals:
    async def test_a_recipient_refused_with_a_5xx_is_a_permanent_failure(
        self, refusing_for_good: SmtpMailer
    ) -> None:
        with pytest.raises(PermanentDeliveryError) as refused:
            await refusing_for_good.send(email())

        assert str(refused.value).endswith(": SMTPRecipientsRefused 550")  # no address

    async def test_a_recipient_refused_with_a_4xx_is_worth_retrying(
        self, refusing_for_now: SmtpMailer
    ) -> None:
        with pytest.raises(MailDeliveryError) as refused:
            await refusing_for_now.send(email())

        assert not isinstance(refused.value, PermanentDeliveryError)

    async def test_no_server_listening_is_worth_retrying(self) -> None:
        mailer = SmtpMailer("127.0.0.1", free_port(), mail_from="eig@example.org", timeout=5)

        with pytest.raises(MailDeliveryError) as failed:
            await mailer.send(email())

        assert not isinstance(failed.value, PermanentDeliveryError)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPDataError(554, b"message refused"), True),
        (smtplib.SMTPDataError(452, b"mailbox full for now"), False),
        (
            smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"no"), "b@x.org": (451, b"later")}),
            False,
        ),
        (smtplib.SMTPAuthenticationError(535, b"bad password"), False),
        (smtplib.SMTPSenderRefused(550, b"not our sender", "eig@example.org"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
    ],
)
def test_only_the_e_mails_own_5xx_refusals_are_permanent(
    error: smtplib.SMTPException, permanent: bool
) -> None:
    assert is_permanent(error) is permanent
