"""The stack's SMTP server refuses mail as its control file says: transiently while the
refusal window is open, for good (every message or given recipients) in permanent mode."""

import mailbox
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deploy.local.engines import free_port
from deploy.local.smtp import (
    RefusableMailbox,
    refuse_mail_permanently,
    refuse_mail_until,
    refused_for_good,
    refusing,
)


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


def send(port: int, *recipients: str) -> dict[str, tuple[int, bytes]]:
    """Send one message; returns the recipients refused while others were accepted."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(
            "eig@example.fr", list(recipients or ["camille@example.fr"]), "Subject: t\r\n\r\nbody"
        )


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


def test_permanent_mode_refuses_every_message_for_good_until_lifted(
    server: tuple[int, Path, Path],
) -> None:
    port, maildir, control = server
    refuse_mail_permanently(control)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(port)
    assert refused.value.smtp_code == 550
    assert "5.7.1" in repr(refused.value.smtp_error)  # bytes, though typed str
    assert len(mailbox.Maildir(maildir)) == 0

    refuse_mail_until(control, 0)  # the fix
    send(port)
    assert len(mailbox.Maildir(maildir)) == 1


def test_permanent_mode_with_recipients_refuses_only_those_at_rcpt(
    server: tuple[int, Path, Path],
) -> None:
    port, maildir, control = server
    refuse_mail_permanently(control, ["Refused@Example.fr"])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, "refused@example.fr")
    assert refused.value.recipients["refused@example.fr"][0] == 550

    assert send(port, "camille@example.fr", "refused@example.fr") == {
        "refused@example.fr": (550, b"5.1.1 Recipient refused for good (permanent refusal)")
    }
    [kept] = mailbox.Maildir(maildir)
    assert kept["X-RcptTo"] == "camille@example.fr"


def test_the_control_file_says_which_refusal_holds(tmp_path: Path) -> None:
    control = tmp_path / "smtp-refuse-until"
    assert refused_for_good(control) is None
    refuse_mail_permanently(control, ["a@example.fr", "B@example.fr"])
    assert refused_for_good(control) == frozenset({"a@example.fr", "b@example.fr"})
    assert not refusing(control)
    refuse_mail_until(control, 2000.0)
    assert refused_for_good(control) is None
    assert refusing(control, now=1999.0)
