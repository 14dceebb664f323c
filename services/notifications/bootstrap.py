"""Wires the service's dependencies from settings; tests pass their own mailer or renderer."""

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import partial

from faststream.kafka import KafkaBroker
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from libs import dossier_links
from libs.database import create_engine, session_factory
from libs.kafka import RetryPolicy, create_broker
from libs.kafka_connection import KafkaConnection
from libs.personal_data import purge_periodically
from services.notifications import service_layer
from services.notifications.addressing import (
    Addressing,
    ContractAddressing,
    contract_document_url,
    contract_offer_url,
    staff_contract_url,
    staff_dossier_url,
)
from services.notifications.application_emails import ApplicationEmailRenderer
from services.notifications.consumers import (
    subscribe_to_applications,
    subscribe_to_contract_events,
    subscribe_to_dossier_events,
)
from services.notifications.contract_emails import ContractEmailRenderer
from services.notifications.mailer import Mailer, SmtpMailer
from services.notifications.models import NotificationFailure, SentNotification
from services.notifications.rendering import EmailRenderer
from services.notifications.repository import SentNotifications
from services.notifications.settings import NotificationsSettings

CLIENT_ID = "notifications"


@dataclass(frozen=True)
class Notifications:
    """The running service's parts: started and stopped by the app's lifespan."""

    settings: NotificationsSettings
    engine: AsyncEngine
    broker: KafkaBroker
    mailer: Mailer
    sent_notifications: SentNotifications
    sessions: async_sessionmaker[AsyncSession]
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        if self.settings.NOTIFICATIONS_CREATE_TABLES:
            await create_tables(self)
        await start_subscribers_together(self.broker)
        if self.settings.RETENTION_PURGE_INTERVAL_SECONDS:
            purge = purge_periodically(
                "notifications",
                service_layer.purge_expired,
                self.sessions,
                self.settings.retention_policy,
                self.settings.RETENTION_PURGE_INTERVAL_SECONDS,
            )
            self._tasks.append(asyncio.create_task(purge, name="notifications-retention"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.broker.stop()
        await self.engine.dispose()


def own_tables() -> list[Table]:
    """Only ours: other services own (and migrate) theirs."""
    return [
        SQLModel.metadata.tables[model.__tablename__]
        for model in (SentNotification, NotificationFailure)
    ]


async def create_tables(notifications: Notifications) -> None:
    async with notifications.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=own_tables())


async def start_subscribers_together(broker: KafkaBroker) -> None:
    """``broker.start()``, but the consumers join their groups at the same time.

    Each consumer's start waits for its group assignment (about 3 s of rebalance delay, on
    Tansu as on Kafka), and FastStream starts them one after the other: with the applications,
    dossier and contract consumers, startup (and every test that starts the service) would take
    three times that. Same steps as ``KafkaBroker.start`` otherwise.
    """
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


def smtp_mailer(settings: NotificationsSettings) -> SmtpMailer:
    return SmtpMailer(
        settings.SMTP_HOST,
        settings.SMTP_PORT,
        mail_from=settings.MAIL_FROM,
        username=settings.SMTP_USERNAME,
        password=settings.SMTP_PASSWORD,
        starttls=settings.SMTP_STARTTLS,
        timeout=settings.SMTP_TIMEOUT,
    )


def addressing(settings: NotificationsSettings) -> Addressing:
    return Addressing(
        status_url_for=partial(
            dossier_links.status_url, settings.PUBLIC_INTAKE_URL, settings.link_keys
        ),
        withdraw_url_for=partial(
            dossier_links.withdraw_url, settings.PUBLIC_INTAKE_URL, settings.link_keys
        ),
        staff_email=settings.STAFF_EMAIL,
        staff_dossier_url_for=partial(staff_dossier_url, settings.PUBLIC_SELECTION_URL),
    )


def contract_addressing(settings: NotificationsSettings) -> ContractAddressing:
    keys = settings.link_keys
    return ContractAddressing(
        offer_url_for=partial(contract_offer_url, settings.PUBLIC_CONTRACTS_URL, keys),
        document_url_for=partial(contract_document_url, settings.PUBLIC_CONTRACTS_URL, keys),
        status_url_for=partial(dossier_links.status_url, settings.PUBLIC_INTAKE_URL, keys),
        staff_email=settings.STAFF_EMAIL,
        staff_contract_url_for=partial(staff_contract_url, settings.PUBLIC_CONTRACTS_URL),
    )


def bootstrap(
    settings: NotificationsSettings,
    *,
    mailer: Mailer | None = None,
    renderer: EmailRenderer | None = None,
    contract_renderer: ContractEmailRenderer | None = None,
) -> Notifications:
    engine = create_engine(settings.DATABASE_URL)
    broker = create_broker(KafkaConnection.from_settings(settings), client_id=CLIENT_ID)
    mailer = mailer or smtp_mailer(settings)
    sessions = session_factory(engine)
    sent_notifications = SentNotifications(sessions)
    retry = RetryPolicy(
        max_attempts=settings.SMTP_MAX_ATTEMPTS,
        initial_delay=settings.SMTP_RETRY_INITIAL_DELAY,
        max_delay=settings.SMTP_RETRY_MAX_DELAY,
    )
    subscribe_to_dossier_events(
        broker,
        group_id=settings.NOTIFICATIONS_CONSUMER_GROUP,
        retry=retry,
        sent_notifications=sent_notifications,
        mailer=mailer,
        renderer=renderer or EmailRenderer(),
        addressing=addressing(settings),
    )
    # Its own group: contract and dossier offsets never mix, and one topic's backlog never
    # holds up the other's e-mails. The same table dedupes both (keys never collide).
    subscribe_to_contract_events(
        broker,
        group_id=settings.NOTIFICATIONS_CONTRACTS_CONSUMER_GROUP,
        retry=retry,
        sent_notifications=sent_notifications,
        mailer=mailer,
        renderer=contract_renderer or ContractEmailRenderer(),
        addressing=contract_addressing(settings),
    )
    # The applications topic's own group too: a confirmation request never waits behind the
    # dossier events (it is what lets a dossier start).
    subscribe_to_applications(
        broker,
        group_id=settings.NOTIFICATIONS_APPLICATIONS_CONSUMER_GROUP,
        retry=retry,
        sent_notifications=sent_notifications,
        mailer=mailer,
        renderer=ApplicationEmailRenderer(
            partial(dossier_links.confirm_url, settings.PUBLIC_INTAKE_URL, settings.link_keys)
        ),
    )
    return Notifications(settings, engine, broker, mailer, sent_notifications, sessions)
