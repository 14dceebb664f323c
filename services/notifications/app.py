"""Entrypoint: the HTTP face of the service (health, readiness, metrics) and its lifespan,
which runs the dossier-event and contract-event consumers."""

from fastapi import FastAPI

from libs.http_service import create_service_app
from libs.readiness import DatabaseProbe, KafkaProbe
from services.notifications.bootstrap import bootstrap
from services.notifications.mailer import Mailer
from services.notifications.settings import NotificationsSettings


def create_app(
    settings: NotificationsSettings | None = None, *, mailer: Mailer | None = None
) -> FastAPI:
    notifications = bootstrap(settings or NotificationsSettings(), mailer=mailer)
    app = create_service_app(
        title="EIG notifications",
        summary="Dossier and contract events to e-mails, each e-mail once.",
        parts=notifications,
        checks={
            "database": DatabaseProbe(notifications.engine),
            "kafka": KafkaProbe(notifications.broker),
            "smtp": notifications.mailer.check,
        },
    )
    app.state.notifications = notifications
    return app
