"""``python -m services.selection``: serve the selection API with uvicorn."""

from functools import partial

from libs.http_service import serve
from services.selection.app import create_app
from services.selection.settings import SelectionSettings


def main() -> None:
    settings = SelectionSettings()
    serve(
        partial(create_app, settings),
        service="selection",
        host=settings.SELECTION_HOST,
        port=settings.SELECTION_PORT,
        settings=settings,
    )


if __name__ == "__main__":
    main()
