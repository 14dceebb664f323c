"""The stack's SMTP server refuses mail, transiently, only while its refusal window is open."""

import mailbox
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deploy.local.engines import free_port
from deploy.local.smtp import RefusableMailbox, refuse_mail_until, refusing


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    maildir, control = tmp_path / "mail", tmp_path / "smtp-refuse-until"
    port = free_port()
    controller = Controller(RefusableMailbox(maildir, control), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, maildir, control
    finally:
        controller.stop()


def send(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("eig@example.fr", ["camille@example.fr"], "Subject: test\r\n\r\nbody")


def test_mail_is_refused_with_a_transient_code_during_the_window_then_accepted(
    server: tuple[int, Path, Path],
) -> None:
    port, maildir, control = server
    refuse_mail_until(control, time.time() + 3600)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(port)
    assert refused.value.smtp_code == 451
    assert len(mailbox.Maildir(maildir)) == 0

    refuse_mail_until(control, 0)
    send(port)
    assert len(mailbox.Maildir(maildir)) == 1


def test_a_window_in_the_past_or_no_file_refuses_nothing(tmp_path: Path) -> None:
    control = tmp_path / "smtp-refuse-until"
    assert not refusing(control)
    refuse_mail_until(control, 1000.0)
    assert not refusing(control, now=1000.0)
    assert refusing(control, now=999.0)
