"""Entrypoint: the Kafka subscribers on received applications, dossier and contract events;
they only translate them to the service."""

import logging

from faststream.kafka import KafkaBroker

from libs.kafka import Handler, RetryPolicy, subscribe_events
from libs.messages.applications import ApplicationReceived
from libs.messages.contract_events import (
    ContractEvent,
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatusChanged,
)
from libs.messages.dossier_events import DossierDeadlinePassed, DossierEvent, DossierStatusChanged
from libs.messages.topics import APPLICATIONS, CONTRACT_EVENTS, DOSSIER_EVENTS, NOTIFICATIONS_DLQ
from services.notifications import metrics
from services.notifications.addressing import Addressing, ContractAddressing
from services.notifications.application_emails import ApplicationEmailRenderer
from services.notifications.contract_emails import ContractEmailRenderer
from services.notifications.mailer import MailDeliveryError, Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.service_layer import (
    ContractEmailsNotSent,
    Delivery,
    Outcome,
    handle_application_received,
    handle_contract_event,
    handle_dossier_event,
)

logger = logging.getLogger(__name__)


def subscribe_to_applications(
    broker: KafkaBroker,
    *,
    group_id: str,
    retry: RetryPolicy,
    sent_notifications: SentNotifications,
    mailer: Mailer,
    renderer: ApplicationEmailRenderer,
) -> None:
    """Register the consumer of received applications (the e-mail address confirmation
    requests); the submissions on the same topic are skipped (the bridge starts them)."""

    async def on_application_received(event: ApplicationReceived) -> None:
        try:
            outcome = await handle_application_received(
                event, sent_notifications=sent_notifications, mailer=mailer, renderer=renderer
            )
        except MailDeliveryError as error:
            metrics.SMTP_FAILURES.inc()
            logger.warning("e-mail for event %s not sent: %s", event.event_id, error)
            raise
        if outcome.delivery is Delivery.EXPIRED:
            metrics.CONFIRMATIONS_EXPIRED.inc()
        else:
            _count(outcome)

    subscribe_events(
        broker,
        APPLICATIONS,
        [Handler(ApplicationReceived, on_application_received)],
        consumer="notifications-applications",
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
        description="E-mail address confirmation requests of received applications",
    )


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

    async def on_dossier_event(event: DossierEvent) -> None:
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

    subscribe_events(
        broker,
        DOSSIER_EVENTS,
        [
            Handler(DossierStatusChanged, on_dossier_event),
            Handler(DossierDeadlinePassed, on_dossier_event),
        ],
        consumer="notifications-dossier-events",
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
        description="E-mails of dossier events: applicants, and staff for overdue stages",
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
    what is still missing.
    """

    async def on_contract_event(event: ContractEvent) -> None:
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

    subscribe_events(
        broker,
        CONTRACT_EVENTS,
        [
            Handler(ContractStatusChanged, on_contract_event),
            Handler(ContractOfferReminderDue, on_contract_event),
            Handler(ContractRenewalDecided, on_contract_event),
        ],
        consumer="notifications-contract-events",
        group_id=group_id,
        dlq_topic=NOTIFICATIONS_DLQ,
        retry=retry,
        on_dead_letter=lambda _error: metrics.DEAD_LETTERED.inc(),
        description="E-mails of contract events: the EIG, the host administration and staff",
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
