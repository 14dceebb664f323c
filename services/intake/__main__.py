"""``python -m services.intake``: serve the intake API with uvicorn."""

from functools import partial

from libs.http_service import serve
from services.intake.app import create_app
from services.intake.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    serve(
        partial(create_app, settings),
        service="intake",
        host=settings.INTAKE_HOST,
        port=settings.INTAKE_PORT,
        settings=settings,
    )


if __name__ == "__main__":
    main()
