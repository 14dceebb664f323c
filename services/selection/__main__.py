"""``python -m services.selection``: serve the selection API with uvicorn."""

import uvicorn

from libs.observability import configure_logging
from services.selection.app import create_app
from services.selection.settings import SelectionSettings


def main() -> None:
    settings = SelectionSettings()
    configure_logging("selection", settings.LOG_LEVEL)
    uvicorn.run(
        create_app(settings),
        host=settings.SELECTION_HOST,
        port=settings.SELECTION_PORT,
        log_config=None,
    )


if __name__ == "__main__":
    main()
