"""Entrypoint: the Kafka subscribers on dossier and contract events; they only translate them
to the service."""

import logging
from typing import get_args

from faststream.kafka import KafkaBroker
from pydantic import BaseModel, TypeAdapter

from libs.kafka import RetryPolicy, subscribe_reliably
from libs.messages.contract_events import ContractEvent, ContractStatusChanged
from libs.messages.dossier_events import DossierEvent
from libs.messages.topics import CONTRACT_EVENTS, DOSSIER_EVENTS, NOTIFICATIONS_DLQ
from services.notifications import metrics
from services.notifications.addressing import Addressing, ContractAddressing
from services.notifications.contract_emails import ContractEmailRenderer
from services.notifications.mailer import MailDeliveryError, Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.service import (
    ContractEmailsNotSent,
    Delivery,
    Outcome,
    handle_contract_event,
    handle_dossier_event,
)

logger = logging.getLogger(__name__)

DOSSIER_EVENT: TypeAdapter[DossierEvent] = TypeAdapter(DossierEvent)
CONTRACT_EVENT: TypeAdapter[ContractEvent] = TypeAdapter(ContractEvent)
CONTRACT_EVENT_TYPES = frozenset(
    # ContractEvent is Annotated[A | B | C, discriminator]: the members' ``type`` literals.
    member.model_fields["type"].default
    for member in get_args(get_args(ContractEvent)[0])
)


class _TypedMessage(BaseModel):
    """Just the envelope's ``type``: enough to ignore event types added after this consumer."""

    type: str


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
        if outcome.delivery is Delivery.NO_TEMPLATE:
            metrics.WITHOUT_TEMPLATE.labels(status=event.status.value).inc()
        else:
            _count(outcome)

    subscribe_reliably(
        broker,
        DOSSIER_EVENTS,
        on_dossier_event,
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
    )


def subscribe_to_contract_events(
    broker: KafkaBroker,
    *,
    group_id: str,
    retry: RetryPolicy,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: ContractEmailRenderer,
    addressing: ContractAddressing,
) -> None:
    """Register the contract-event consumer (its own group, the same dead-letter topic).

    The offset is committed once every e-mail of the event is sent or was sent before; an SMTP
    failure retries only the missing ones, then dead-letters the event, whose replay sends only
    what is still missing. An event type this version does not know is acknowledged unread
    (schemas within v1 grow by new types); an unreadable one is poison.
    """

    async def on_contract_event(body: bytes) -> None:
        # Parsed inside the retried work so that a bad message is recognised as poison.
        event_type = _TypedMessage.model_validate_json(body).type
        if event_type not in CONTRACT_EVENT_TYPES:
            logger.info("contract event type %s is not e-mailed, skipped", event_type)
            metrics.WITHOUT_TEMPLATE.labels(status=event_type).inc()
            return
        event = CONTRACT_EVENT.validate_json(body)
        try:
            outcomes = await handle_contract_event(
                event,
                sent_notifications=sent_notifications,
                mailer=mailer,
                renderer=renderer,
                addressing=addressing,
            )
        except ContractEmailsNotSent as error:
            metrics.SMTP_FAILURES.inc(len(error.failures))
            logger.warning(
                "e-mails %s of contract event %s not sent: %s",
                ", ".join(error.failures),
                event.event_id,
                error,
            )
            raise
        if not outcomes:
            metrics.WITHOUT_TEMPLATE.labels(status=_silent_label(event)).inc()
        for outcome in outcomes:
            _count(outcome)

    subscribe_reliably(
        broker,
        CONTRACT_EVENTS,
        on_contract_event,
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
    )


def _count(outcome: Outcome) -> None:
    if outcome.delivery is Delivery.SENT:
        metrics.SENT.labels(template=outcome.template).inc()
        if outcome.delay_seconds is not None:
            metrics.DELIVERY_DELAY.observe(outcome.delay_seconds)
    elif outcome.delivery is Delivery.DUPLICATE:
        metrics.SKIPPED_DUPLICATES.inc()


def _silent_label(event: ContractEvent) -> str:
    # Only status changes can be silent; prefixed so that they never mix with dossier statuses.
    if isinstance(event, ContractStatusChanged):
        return f"contract_{event.status.value}"
    return event.type
