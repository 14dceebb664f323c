"""What an applicant does with the first e-mail (docs/adr/0024), for every test and drill that
applies on a running stack: find the confirmation link in the Maildir of the real SMTP server,
open the page, press its button.

The Maildir is read incrementally (:class:`Maildir`: each message file is parsed once, files
never change once delivered), so waiting on hundreds of applicants stays cheap.
"""

import asyncio
import email
import email.policy
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Final

import httpx

from tests.eventually import eventually
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden

CONFIRM_LINK: Final = re.compile(r"https?://\S+/confirmer/[0-9a-f-]{36}\?token=[^\s\"<>]+")
"""The link of the confirmation request (``libs.dossier_links.confirm_url``)."""

POLL_SECONDS: Final = 0.05


def parse_message(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def recipient_of(message: EmailMessage) -> str:
    return str(message["To"].addresses[0].addr_spec)


def confirm_link_in(message: EmailMessage) -> str | None:
    """The confirmation link, if the message is a confirmation request."""
    match = CONFIRM_LINK.search(text_of(message))
    return match.group(0) if match else None


@dataclass(frozen=True)
class Mail:
    path: Path
    to: str
    subject: str
    confirm_link: str | None
    """Set on confirmation requests only."""
    mtime: float


@dataclass
class Maildir:
    """The messages delivered to a Maildir, each parsed once."""

    root: Path
    _seen: dict[str, Mail] = field(default_factory=dict)

    def mails(self) -> list[Mail]:
        """Every message so far, in delivery order."""
        for path in (self.root / "new").glob("*"):
            if path.name not in self._seen:
                message = parse_message(path)
                self._seen[path.name] = Mail(
                    path,
                    recipient_of(message),
                    str(message["Subject"]),
                    confirm_link_in(message),
                    path.stat().st_mtime,
                )
        return sorted(self._seen.values(), key=lambda mail: (mail.mtime, mail.path.name))

    def confirmation_links(self) -> dict[str, str]:
        """Recipient → the link of its (first) confirmation request."""
        links: dict[str, str] = {}
        for mail in self.mails():
            if mail.confirm_link is not None:
                links.setdefault(mail.to, mail.confirm_link)
        return links

    def counts(self, addresses: set[str]) -> tuple[Counter[str], Counter[str], float]:
        """Per address: confirmation requests, other e-mails; and the newest other e-mail's
        delivery time (0 without any)."""
        requests: Counter[str] = Counter()
        others: Counter[str] = Counter()
        newest = 0.0
        for mail in self.mails():
            if mail.to not in addresses:
                continue
            if mail.confirm_link is not None:
                requests[mail.to] += 1
            else:
                others[mail.to] += 1
                newest = max(newest, mail.mtime)
        return requests, others, newest


async def confirmation_link(maildir: Path | Maildir, address: str, timeout: float = 60) -> str:
    """Wait for the confirmation request sent to ``address``; its link."""
    mails = maildir if isinstance(maildir, Maildir) else Maildir(maildir)

    async def link() -> str | None:
        return mails.confirmation_links().get(address)

    found = await eventually(link, timeout=timeout, interval=POLL_SECONDS)
    assert found is not None
    return found


async def confirm(link: str, timeout: float = 30) -> httpx.Response:
    """Open the confirmation page and press its button, as a browser without JavaScript
    does: the form's CSRF token and cookie, then the 303 back to the page (not followed).

    Each confirmation has its own client, so that its CSRF cookie is its own even when many
    run at once."""
    async with httpx.AsyncClient(timeout=timeout) as browser:
        page = await browser.get(link, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200, (page.status_code, page.text[:500])
        token = hidden(page.text, "csrf_token")
        response = await browser.post(link, data={"csrf_token": token}, headers=FORM_POST)
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return response


async def confirm_through_the_email(maildir: Path | Maildir, address: str) -> httpx.Response:
    """The applicant's whole step: the e-mail's link, the page's button."""
    return await confirm(await confirmation_link(maildir, address))


async def confirm_as_they_arrive(
    maildir: Maildir,
    addresses: set[str],
    *,
    concurrency: int = 10,
    into: dict[str, float] | None = None,
) -> dict[str, float]:
    """Confirm each address's application as soon as its confirmation request is in the
    Maildir, ``concurrency`` at a time, until every address is confirmed (cancel it to stop
    sooner: ``into`` keeps what was done); a confirmation that fails is tried again. Address
    → when it was confirmed."""
    confirmed: dict[str, float] = {} if into is None else into
    running: dict[str, asyncio.Task[None]] = {}
    semaphore = asyncio.Semaphore(concurrency)

    async def confirm_one(address: str, link: str) -> None:
        async with semaphore:
            await confirm(link)
        confirmed[address] = time.time()

    try:
        while len(confirmed) < len(addresses):
            for address, task in list(running.items()):
                if task.done() and (task.cancelled() or task.exception() is not None):
                    del running[address]  # tried again below
            for address, link in maildir.confirmation_links().items():
                if address in addresses and address not in running:
                    running[address] = asyncio.create_task(confirm_one(address, link))
            await asyncio.sleep(POLL_SECONDS)
    finally:
        for task in running.values():
            task.cancel()
    return confirmed
