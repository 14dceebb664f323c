"""Service layer: one dossier event in, at most one e-mail out."""

import logging
from dataclasses import dataclass
from enum import StrEnum

from libs.messages.dossier_events import DossierEvent
from services.notifications.addressing import Addressing
from services.notifications.mailer import Mailer
from services.notifications.models import SentNotification
from services.notifications.rendering import EmailRenderer
from services.notifications.repository import SentNotifications

logger = logging.getLogger(__name__)


class Delivery(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    NO_TEMPLATE = "no_template"


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    template: str | None = None


async def handle_dossier_event(
    event: DossierEvent,
    *,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: EmailRenderer,
    addressing: Addressing,
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
    if await sent_notifications.contains(event.event_id):
        logger.info("event %s already e-mailed, skipped", event.event_id)
        return Outcome(Delivery.DUPLICATE, template.name)
    email = renderer.render(event, addressing.recipient_of(event))
    await mailer.send(email)
    await sent_notifications.add(
        SentNotification(
            event_id=event.event_id, dossier_id=event.dossier_id, template=email.template
        )
    )
    logger.info(
        "e-mail %s sent for event %s of dossier %s",
        email.template,
        event.event_id,
        event.dossier_id,
    )
    return Outcome(Delivery.SENT, template.name)
