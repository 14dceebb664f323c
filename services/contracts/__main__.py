"""``python -m services.contracts``: serve the contracts API with uvicorn."""

from functools import partial

from libs.http_service import serve
from services.contracts.app import create_app
from services.contracts.settings import ContractsSettings


def main() -> None:
    settings = ContractsSettings()
    serve(
        partial(create_app, settings),
        service="contracts",
        host=settings.CONTRACTS_HOST,
        port=settings.CONTRACTS_PORT,
        settings=settings,
    )


if __name__ == "__main__":
    main()
