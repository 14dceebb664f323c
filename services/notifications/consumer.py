"""Entrypoint: the Kafka subscriber on dossier events; it only translates them to the service."""

import logging

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter

from libs.kafka import RetryPolicy, subscribe_reliably
from libs.messages.dossier_events import DossierEvent
from libs.messages.topics import DOSSIER_EVENTS, NOTIFICATIONS_DLQ
from services.notifications import metrics
from services.notifications.addressing import Addressing
from services.notifications.mailer import MailDeliveryError, Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.service import Delivery, handle_dossier_event

logger = logging.getLogger(__name__)

DOSSIER_EVENT: TypeAdapter[DossierEvent] = TypeAdapter(DossierEvent)


def subscribe_to_dossier_events(
    broker: KafkaBroker,
    *,
    group_id: str,
    retry: RetryPolicy,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: EmailRenderer,
    addressing: Addressing,
) -> None:
    """Register the consumer: offsets are committed only once the e-mail is sent, skipped, or
    dead-lettered (unparseable events at once, SMTP failures after the last attempt)."""

    async def on_dossier_event(body: bytes) -> None:
        # Parsed inside the retried work so that a bad message is recognised as poison.
        event = DOSSIER_EVENT.validate_json(body)
        try:
            outcome = await handle_dossier_event(
                event,
                sent_notifications=sent_notifications,
                mailer=mailer,
                renderer=renderer,
                addressing=addressing,
            )
        except MailDeliveryError as error:
            metrics.SMTP_FAILURES.inc()
            logger.warning("e-mail for event %s not sent: %s", event.event_id, error)
            raise
        if outcome.delivery is Delivery.SENT:
            metrics.SENT.labels(template=outcome.template).inc()
        elif outcome.delivery is Delivery.DUPLICATE:
            metrics.SKIPPED_DUPLICATES.inc()
        else:
            metrics.WITHOUT_TEMPLATE.labels(status=event.status.value).inc()

    subscribe_reliably(
        broker,
        DOSSIER_EVENTS,
        on_dossier_event,
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
    )
