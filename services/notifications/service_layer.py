"""Service layer: one dossier event in, at most one e-mail out; one contract event in, each
of its e-mails out once; one received application in, its confirmation request out once."""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import PermanentError, RetryPolicy
from libs.messages.applications import ApplicationReceived
from libs.messages.contract_events import ContractEvent
from libs.messages.dossier_events import DossierEvent
from libs.messages.envelope import Event, utc_now
from libs.personal_data import DELETED, PurgeReport, RetentionPolicy, in_batches
from services.notifications import repository
from services.notifications.addressing import Addressing, ContractAddressing
from services.notifications.application_emails import CONFIRM_EMAILS, ApplicationEmailRenderer
from services.notifications.contract_emails import ContractEmailRenderer, templates_for
from services.notifications.mailer import MailDeliveryError, Mailer, PermanentDeliveryError
from services.notifications.models import NotificationFailure, SentNotification
from services.notifications.rendering import EmailRenderer, OutgoingEmail, notification_id
from services.notifications.repository import SentNotifications

logger = logging.getLogger(__name__)

RECORD_RETRY = RetryPolicy(max_attempts=None, initial_delay=0.5, max_delay=30.0)
"""Recording an e-mail SMTP accepted is retried until it succeeds (never a second send)."""


class Delivery(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    NO_TEMPLATE = "no_template"
    EXPIRED = "expired"
    """A confirmation request read after its deadline: its link no longer works."""


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    template: str | None = None
    delay_seconds: float | None = field(default=None, compare=False)
    """Sent: from the event's time to SMTP's acceptance (a measure, not part of the outcome)."""


async def _send_and_record(
    event: Event,
    key: UUID,
    template: str,
    email: OutgoingEmail,
    *,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    record_retry: RetryPolicy,
) -> Outcome:
    """Send, then record the e-mail as sent; a refusal is recorded as a failed attempt (the
    operations report counts them) and raised."""
    try:
        await mailer.send(email)
    except MailDeliveryError as error:
        await sent_notifications.record_failure(
            NotificationFailure(
                notification_id=key,
                dossier_id=event.dossier_id,
                template=template,
                error=str(error)[:500],
            )
        )
        raise
    sent_at = utc_now()
    await _record_sent(
        sent_notifications,
        SentNotification(
            event_id=key,
            dossier_id=event.dossier_id,
            template=template,
            sent_at=sent_at,
            event_occurred_at=event.occurred_at,
        ),
        record_retry,
    )
    delay = (sent_at - event.occurred_at).total_seconds()
    return Outcome(Delivery.SENT, template, delay_seconds=max(0.0, delay))


async def _record_sent(
    sent_notifications: SentNotifications, notification: SentNotification, retry: RetryPolicy
) -> None:
    """Record an e-mail SMTP accepted, retrying only the write until it succeeds.

    Raising instead would retry the whole event, hence send the e-mail a second time: once
    SMTP took it, the record is all that is left to do (the partition waits for the database).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            await sent_notifications.add(notification)
            return
        except Exception as error:  # noqa: BLE001 - any failure: the write alone is retried
            delay = retry.delay(attempt)
            logger.warning(
                "e-mail %s sent but not recorded (%s), recording again in %.1fs",
                notification.event_id,
                type(error).__name__,
                delay,
            )
            await asyncio.sleep(delay)


async def handle_dossier_event(
    event: DossierEvent,
    *,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: EmailRenderer,
    addressing: Addressing,
    record_retry: RetryPolicy = RECORD_RETRY,
) -> Outcome:
    """Send the event's e-mail (to the applicant, or to staff for a reminder) unless it has
    none or was already sent.

    Raises MailDeliveryError when SMTP refuses, so the caller retries. The record is written
    only after SMTP accepted the e-mail: a crash in between re-sends (at least once) rather
    than losing it, and the deterministic Message-ID marks that duplicate.
    """
    template = renderer.template_for(event)
    if template is None:
        # Not an e-mailed outcome (a step shown on the status page only): nothing to record.
        logger.info("no e-mail for status %s (event %s)", event.status, event.event_id)
        return Outcome(Delivery.NO_TEMPLATE)
    key = notification_id(event.event_id)  # one e-mail per dossier event: its id
    if await sent_notifications.contains(key):
        logger.info("event %s already e-mailed, skipped", event.event_id)
        return Outcome(Delivery.DUPLICATE, template.name)
    email = renderer.render(event, addressing.recipient_of(event))
    outcome = await _send_and_record(
        event,
        key,
        email.template,
        email,
        sent_notifications=sent_notifications,
        mailer=mailer,
        record_retry=record_retry,
    )
    logger.info(
        "e-mail %s sent for event %s of dossier %s",
        email.template,
        event.event_id,
        event.dossier_id,
    )
    return Outcome(Delivery.SENT, template.name, outcome.delay_seconds)


class ContractEmailsNotSent(MailDeliveryError):
    """Some e-mails of a contract event were refused; the others were sent and recorded."""

    def __init__(self, failures: dict[str, MailDeliveryError]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{name}: {error}" for name, error in failures.items()))


class ContractEmailsRefused(ContractEmailsNotSent, PermanentError):
    """Every e-mail still missing was refused for good: the event is dead-lettered at once
    (its replay sends only what is still missing)."""


async def handle_contract_event(
    event: ContractEvent,
    *,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: ContractEmailRenderer,
    addressing: ContractAddressing,
    record_retry: RetryPolicy = RECORD_RETRY,
) -> tuple[Outcome, ...]:
    """Send each of the event's e-mails that was not sent yet; one outcome per e-mail (none
    for a status without e-mail).

    Each e-mail is recorded under its own key (event, template) as soon as SMTP accepts it, so
    a redelivered event only sends what is missing. Every e-mail is tried even when another one
    fails (the EIG's confirmation is not held up by the host's mail server); then
    ContractEmailsNotSent is raised so the caller retries the missing ones.
    """
    outcomes: list[Outcome] = []
    failures: dict[str, MailDeliveryError] = {}
    for template in templates_for(event):
        key = notification_id(event.event_id, template.name)
        if await sent_notifications.contains(key):
            logger.info(
                "e-mail %s of event %s already sent, skipped", template.name, event.event_id
            )
            outcomes.append(Outcome(Delivery.DUPLICATE, template.name))
            continue
        email = renderer.render(event, template, addressing)
        try:
            outcome = await _send_and_record(
                event,
                key,
                template.name,
                email,
                sent_notifications=sent_notifications,
                mailer=mailer,
                record_retry=record_retry,
            )
        except MailDeliveryError as error:
            failures[template.name] = error
            continue
        logger.info(
            "e-mail %s sent for contract event %s of dossier %s",
            template.name,
            event.event_id,
            event.dossier_id,
        )
        outcomes.append(outcome)
    if failures:
        # A transient failure among them: retry them all (the refused ones are refused again,
        # nothing is sent twice), until only permanent refusals are left.
        if all(isinstance(error, PermanentDeliveryError) for error in failures.values()):
            raise ContractEmailsRefused(failures)
        raise ContractEmailsNotSent(failures)
    return tuple(outcomes)


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime
) -> PurgeReport:
    """Apply the retention policy to the service's tables (docs/DATA-PROTECTION.md): dedupe
    records and failures older than ``sent_notification_days`` go. They hold ids and template
    names only, but an event redelivered after its record went would be e-mailed again, so the
    delay outlasts every way an event can come back (broker retention, dead-letter replay)."""
    report = PurgeReport()
    cutoff = policy.cutoff(now, policy.sent_notification_days)
    report.add(
        "sent_notifications",
        DELETED,
        await in_batches(
            sessions,
            lambda session, limit: repository.delete_sent_before(session, cutoff, limit),
            policy.batch_size,
        ),
    )
    report.add(
        "notification_failures",
        DELETED,
        await in_batches(
            sessions,
            lambda session, limit: repository.delete_failures_before(session, cutoff, limit),
            policy.batch_size,
        ),
    )
    return report


async def handle_application_received(
    event: ApplicationReceived,
    *,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: ApplicationEmailRenderer,
    record_retry: RetryPolicy = RECORD_RETRY,
) -> Outcome:
    """Send the e-mail address confirmation request of a received application, once (its
    key is the event's id); none once the deadline has passed (the link would only say it
    expired). Raises MailDeliveryError when SMTP refuses, so the caller retries."""
    key = notification_id(event.event_id)
    template = CONFIRM_EMAILS[event.kind].name
    if await sent_notifications.contains(key):
        logger.info("event %s already e-mailed, skipped", event.event_id)
        return Outcome(Delivery.DUPLICATE, template)
    if event.confirm_by <= utc_now():
        logger.info("confirmation request %s read after its deadline, not sent", event.event_id)
        return Outcome(Delivery.EXPIRED, template)
    email = renderer.render(event)
    outcome = await _send_and_record(
        event,
        key,
        email.template,
        email,
        sent_notifications=sent_notifications,
        mailer=mailer,
        record_retry=record_retry,
    )
    logger.info("e-mail %s sent for application %s", email.template, event.dossier_id)
    return outcome
