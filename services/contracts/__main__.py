"""``python -m services.contracts``: serve the contracts API with uvicorn."""

import uvicorn

from libs.observability import configure_logging
from services.contracts.app import create_app
from services.contracts.settings import ContractsSettings


def main() -> None:
    settings = ContractsSettings()
    configure_logging("contracts", settings.LOG_LEVEL)
    uvicorn.run(
        create_app(settings),
        host=settings.CONTRACTS_HOST,
        port=settings.CONTRACTS_PORT,
        log_config=None,
    )


if __name__ == "__main__":
    main()
