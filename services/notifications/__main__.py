"""``python -m services.notifications``: the consumer and its health endpoints under uvicorn."""

from functools import partial

from libs.http_service import serve
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings


def main() -> None:
    settings = NotificationsSettings()
    serve(
        partial(create_app, settings),
        service="notifications",
        host=settings.NOTIFICATIONS_HOST,
        port=settings.NOTIFICATIONS_PORT,
        settings=settings,
    )


if __name__ == "__main__":
    main()
