"""Entrypoint: the HTTP face of the service (health, readiness, metrics) and its lifespan,
which runs the dossier-event consumer."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlmodel import SQLModel

from libs.observability import health_router
from libs.readiness import DatabaseProbe, KafkaProbe
from services.notifications.bootstrap import Notifications, bootstrap
from services.notifications.mailer import Mailer
from services.notifications.models import SentNotification
from services.notifications.settings import NotificationsSettings


def create_app(
    settings: NotificationsSettings | None = None, *, mailer: Mailer | None = None
) -> FastAPI:
    notifications = bootstrap(settings or NotificationsSettings(), mailer=mailer)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if notifications.settings.NOTIFICATIONS_CREATE_TABLES:
            await create_tables(notifications)
        await notifications.broker.start()
        try:
            yield
        finally:
            await notifications.broker.stop()
            await notifications.engine.dispose()

    app = FastAPI(title="EIG notifications", lifespan=lifespan)
    app.state.notifications = notifications
    app.include_router(
        health_router(
            {
                "database": DatabaseProbe(notifications.engine),
                "kafka": KafkaProbe(notifications.broker),
                "smtp": notifications.mailer.check,
            }
        )
    )
    return app


async def create_tables(notifications: Notifications) -> None:
    # Only ours: other services own (and migrate) theirs.
    table = SQLModel.metadata.tables[SentNotification.__tablename__]
    async with notifications.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[table])
