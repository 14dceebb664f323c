"""``python -m services.notifications``: the consumer and its health endpoints under uvicorn."""

import uvicorn

from libs.observability import configure_logging
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings


def main() -> None:
    settings = NotificationsSettings()
    configure_logging("notifications", settings.LOG_LEVEL)
    uvicorn.run(
        create_app(settings),
        host=settings.NOTIFICATIONS_HOST,
        port=settings.NOTIFICATIONS_PORT,
        log_config=None,  # keep the JSON logging configured above
    )


if __name__ == "__main__":
    main()
