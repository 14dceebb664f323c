"""``python -m services.intake``: serve the intake API with uvicorn."""

import uvicorn

from libs.observability import configure_logging
from services.intake.app import create_app
from services.intake.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    configure_logging("intake", settings.LOG_LEVEL)
    uvicorn.run(
        create_app(settings),
        host=settings.INTAKE_HOST,
        port=settings.INTAKE_PORT,
        log_config=None,
    )


if __name__ == "__main__":
    main()
