"""The embedded stack's SMTP server: a Maildir, and a refusal window for fault drills.

While the control file holds a Unix time still to come, every message is refused with a
transient ``451`` (what a relay answers when it is overloaded or greylisting), so the chaos
command (``python -m bench.chaos``) can check that notifications retry and send each e-mail
once when SMTP accepts again. ``refuse_mail_until(path, time)`` opens a window;
``refuse_mail_until(path, 0)`` closes it.
"""

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Self

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, Envelope, Session

REFUSAL = "451 4.3.2 Mail refused for now (refusal window), try again later"


def refuse_mail_until(control_file: Path, until: float) -> None:
    partial = control_file.with_suffix(".tmp")
    partial.write_text(f"{until}\n")
    partial.replace(control_file)  # atomic: the server never reads half a number


def refusing(control_file: Path, now: float | None = None) -> bool:
    try:
        until = float(control_file.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return False
    return (time.time() if now is None else now) < until


class RefusableMailbox(Mailbox):
    """aiosmtpd's Maildir handler that refuses mail while the control file says so."""

    def __init__(self, mail_dir: Path, control_file: Path) -> None:
        super().__init__(mail_dir)
        self.control_file = control_file

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if refusing(self.control_file):
            return REFUSAL
        return await super().handle_DATA(server, session, envelope)

    @classmethod
    def from_cli(cls, parser: ArgumentParser, *args: str) -> Self:
        if len(args) != 2:
            parser.error("RefusableMailbox takes the Maildir and the refusal control file")
        return cls(Path(args[0]), Path(args[1]))
