"""Fakes shared by the notifications unit tests."""

from uuid import UUID

from services.notifications.mailer import MailDeliveryError, Mailer, PermanentDeliveryError
from services.notifications.models import SentNotification
from services.notifications.rendering import OutgoingEmail
from services.notifications.repository import SentNotifications


class FakeMailer(Mailer):
    """Keeps e-mails in memory; fails the first ``failures`` sends when asked to (for good,
    as a 5xx answer, if ``permanent``)."""

    def __init__(self, failures: int = 0, *, permanent: bool = False) -> None:
        self.sent: list[OutgoingEmail] = []
        self.attempts = 0
        self._failures = failures
        self._error = PermanentDeliveryError if permanent else MailDeliveryError

    async def send(self, email: OutgoingEmail) -> None:
        self.attempts += 1
        if self.attempts <= self._failures:
            raise self._error("fake SMTP failure")
        self.sent.append(email)

    async def check(self) -> None:
        return None


class RefusingMailer(FakeMailer):
    """The mail server refuses some templates' e-mails (e.g. the host's domain is down): the
    first ``times`` sends of each, or every send when ``times`` is None."""

    def __init__(self, refused: dict[str, int | None], *, permanent: bool = False) -> None:
        super().__init__()
        self.refused = refused
        self._refusal = PermanentDeliveryError if permanent else MailDeliveryError

    async def send(self, email: OutgoingEmail) -> None:
        self.attempts += 1
        if email.template in self.refused:
            times = self.refused[email.template]
            if times is None or times > 0:
                self.refused[email.template] = None if times is None else times - 1
                raise self._refusal(f"fake refusal of {email.template}")
        self.sent.append(email)


class FlakyRecords(SentNotifications):
    """The database refuses the first ``failures`` writes of sent e-mails (then takes them)."""

    def __init__(self, inner: SentNotifications, failures: int) -> None:
        self._inner = inner
        self.failures = failures
        self.writes = 0

    async def contains(self, key: UUID) -> bool:
        return await self._inner.contains(key)

    async def add(self, notification: SentNotification) -> bool:
        self.writes += 1
        if self.writes <= self.failures:
            raise ConnectionError("fake database outage")
        return await self._inner.add(notification)
