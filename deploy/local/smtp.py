"""The embedded stack's SMTP server: a Maildir, and a control file for fault drills.

The control file says what the server refuses; it is re-read for every message:

* a Unix time still to come: every message is refused with a transient ``451`` until then
  (what a relay answers when it is overloaded or greylisting), so the chaos command
  (``python -m bench.chaos``) can check that notifications retry and send each e-mail once
  when SMTP accepts again. ``refuse_mail_until(path, time)`` opens the window.
* the word ``permanent``, alone: every message is refused for good with ``550 5.7.1`` (a
  policy refusal); followed by addresses, one a line: only those recipients are refused for
  good, with ``550 5.1.1``, at ``RCPT TO``. Notifications dead-letter such an e-mail's event
  at once (no retry can help), so an operator can replay it from the ops page once the
  refusal is lifted. ``refuse_mail_permanently(path, recipients)`` sets it.

``refuse_mail_until(path, 0)`` lifts either refusal; a missing file refuses nothing.
"""

import time
from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Self

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, Envelope, Session

REFUSAL = "451 4.3.2 Mail refused for now (refusal window), try again later"
PERMANENT_REFUSAL = "550 5.7.1 Mail refused for good (permanent refusal)"
RECIPIENT_REFUSAL = "550 5.1.1 Recipient refused for good (permanent refusal)"
PERMANENT = "permanent"


def _write(control_file: Path, content: str) -> None:
    partial = control_file.with_suffix(".tmp")
    partial.write_text(content)
    partial.replace(control_file)  # atomic: the server never reads half a file


def refuse_mail_until(control_file: Path, until: float) -> None:
    """Refuse every message transiently until ``until`` (a Unix time); 0 lifts any refusal."""
    _write(control_file, f"{until}\n")


def refuse_mail_permanently(control_file: Path, recipients: Iterable[str] = ()) -> None:
    """Refuse for good every message, or only those to ``recipients`` when given."""
    _write(control_file, "\n".join([PERMANENT, *recipients]) + "\n")


def _control(control_file: Path) -> list[str]:
    try:
        return [line.strip() for line in control_file.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def refusing(control_file: Path, now: float | None = None) -> bool:
    """Whether the transient refusal window is open."""
    lines = _control(control_file)
    try:
        until = float(lines[0]) if lines else 0.0
    except ValueError:
        return False
    return (time.time() if now is None else now) < until


def refused_for_good(control_file: Path) -> frozenset[str] | None:
    """The recipients refused for good (lower case), empty for every message, or None when
    the permanent refusal is off."""
    lines = _control(control_file)
    if not lines or lines[0].lower() != PERMANENT:
        return None
    return frozenset(address.lower() for address in lines[1:])


class RefusableMailbox(Mailbox):
    """aiosmtpd's Maildir handler that refuses mail while the control file says so."""

    def __init__(self, mail_dir: Path, control_file: Path) -> None:
        super().__init__(mail_dir)
        self.control_file = control_file

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refused = refused_for_good(self.control_file)
        if refused and address.lower() in refused:
            return RECIPIENT_REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if refused_for_good(self.control_file) == frozenset():
            return PERMANENT_REFUSAL
        if refusing(self.control_file):
            return REFUSAL
        return await super().handle_DATA(server, session, envelope)

    @classmethod
    def from_cli(cls, parser: ArgumentParser, *args: str) -> Self:
        if len(args) != 2:
            parser.error("RefusableMailbox takes the Maildir and the refusal control file")
        return cls(Path(args[0]), Path(args[1]))
