"""Fakes shared by the notifications unit tests."""

from services.notifications.mailer import MailDeliveryError, Mailer
from services.notifications.rendering import OutgoingEmail


class FakeMailer(Mailer):
    """Keeps e-mails in memory; fails the first ``failures`` sends when asked to."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[OutgoingEmail] = []
        self.attempts = 0
        self._failures = failures

    async def send(self, email: OutgoingEmail) -> None:
        self.attempts += 1
        if self.attempts <= self._failures:
            raise MailDeliveryError("fake SMTP failure")
        self.sent.append(email)

    async def check(self) -> None:
        return None


class RefusingMailer(FakeMailer):
    """The mail server refuses some templates' e-mails (e.g. the host's domain is down): the
    first ``times`` sends of each, or every send when ``times`` is None."""

    def __init__(self, refused: dict[str, int | None]) -> None:
        super().__init__()
        self.refused = refused

    async def send(self, email: OutgoingEmail) -> None:
        self.attempts += 1
        if email.template in self.refused:
            times = self.refused[email.template]
            if times is None or times > 0:
                self.refused[email.template] = None if times is None else times - 1
                raise MailDeliveryError(f"fake refusal of {email.template}")
        self.sent.append(email)
