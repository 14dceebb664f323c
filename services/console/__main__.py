"""``python -m services.console``: serve the staff console with uvicorn."""

from functools import partial

from libs.http_service import serve
from services.console.app import create_app
from services.console.settings import ConsoleSettings


def main() -> None:
    settings = ConsoleSettings()
    serve(
        partial(create_app, settings),
        service="console",
        host=settings.CONSOLE_HOST,
        port=settings.CONSOLE_PORT,
        settings=settings,
    )


if __name__ == "__main__":
    main()
