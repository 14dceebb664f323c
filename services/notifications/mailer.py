"""Adapters that deliver e-mails: the ``Mailer`` port and SMTP (the in-memory fake is a test's)."""

import abc
import asyncio
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from opentelemetry.trace import SpanKind
from pydantic import SecretStr

from libs.kafka import PermanentError
from libs.messages.envelope import utc_now
from libs.tracing import mark_failed, span
from services.notifications.rendering import SECOND_LANGUAGE, OutgoingEmail, one_line


class MailDeliveryError(Exception):
    """The e-mail was not accepted; trying again later may work."""


class PermanentDeliveryError(MailDeliveryError, PermanentError):
    """The mail server refused the e-mail for good (a 5xx answer, the recipient refused):
    retrying would be refused the same, so the event goes to the dead-letter topic at once."""


def is_permanent(error: smtplib.SMTPException) -> bool:
    """Whether SMTP's answer says no retry can help (RFC 5321: 5yz is a permanent failure).

    Authentication, sender and connection failures are the platform's (a password, the
    programme's address, a relay down), not the e-mail's: they stay transient, so the events
    wait for the fix rather than pile up in the dead-letter topic.
    """
    platform_side = (
        smtplib.SMTPAuthenticationError,
        smtplib.SMTPSenderRefused,
        smtplib.SMTPServerDisconnected,
    )
    if isinstance(error, platform_side):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def reply_codes(error: Exception) -> str:
    """The SMTP reply codes of a refusal (`` 550``), for the error that may reach a
    dead-letter header; never the reply's text, which may quote the recipient's address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
    else:
        codes = []
    return "".join(f" {code}" for code in codes)


class Mailer(abc.ABC):
    @abc.abstractmethod
    async def send(self, email: OutgoingEmail) -> None:
        """Return once the e-mail is accepted for delivery; raise MailDeliveryError otherwise."""

    @abc.abstractmethod
    async def check(self) -> None:
        """Raise if the mail server cannot be reached (readiness)."""


def build_message(email: OutgoingEmail, mail_from: str) -> EmailMessage:
    """The MIME message: a text part always, the HTML part as its alternative."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = mail_from
    message["To"] = Address(display_name=one_line(email.to.name), addr_spec=email.to.email)
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = email.message_id
    # RFC 3834: tells auto-responders (out-of-office, ...) not to reply to it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    # After the parts: set_content() drops Content-* headers. The applicant's language first,
    # then the translation that follows it (RFC 3282 lists every language of the message).
    message["Content-Language"] = f"{email.language.value}, {SECOND_LANGUAGE[email.language].value}"
    return message


class SmtpMailer(Mailer):
    """Delivers over SMTP with the standard library, in a thread so the event loop keeps running."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        mail_from: str,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    async def send(self, email: OutgoingEmail) -> None:
        message = build_message(email, self.mail_from)
        # The last hop of the event's trace; ids and the template only, never the address.
        with span(
            "smtp send",
            kind=SpanKind.CLIENT,
            attributes={
                "eig.template": email.template,
                "eig.notification_id": str(email.notification_id),
                "server.address": self.host,
                "server.port": self.port,
            },
        ) as sending:
            try:
                await asyncio.to_thread(self._send, message)
            except (smtplib.SMTPException, OSError) as error:
                mark_failed(sending, error)
                permanent = isinstance(error, smtplib.SMTPException) and is_permanent(error)
                failure = PermanentDeliveryError if permanent else MailDeliveryError
                answer = f"{type(error).__name__}{reply_codes(error)}"
                raise failure(f"SMTP {self.host}:{self.port}: {answer}") from error

    async def check(self) -> None:
        await asyncio.to_thread(self._noop)

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        try:
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username:
                password = self._password.get_secret_value() if self._password else ""
                smtp.login(self._username, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send(self, message: EmailMessage) -> None:
        with self._connect() as smtp:
            smtp.send_message(message)

    def _noop(self) -> None:
        with self._connect() as smtp:
            code, _ = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"NOOP refused")
