"""Contracts service settings: the shared connection settings plus what only contracts reads."""

from typing import ClassVar

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class ContractsSettings(PlatformSettings):
    LINKS_SIGNED: ClassVar[bool] = True
    LISTEN_HOST_SETTING: ClassVar[str | None] = "CONTRACTS_HOST"

    CONTRACTS_HOST: str = "127.0.0.1"
    CONTRACTS_PORT: int = 8002
    CONTRACTS_CREATE_TABLES: bool = False
    """Create the tables at startup (tests, throwaway setups); Alembic owns them otherwise."""

    CONTRACTS_READ_MODEL_ENABLED: bool = True
    """Consume contract events into the contracts read model (off in unit tests)."""
    CONTRACTS_READ_MODEL_CONSUMER_GROUP: str = ConsumerGroups.CONTRACTS_READ_MODEL
    """Only tests sharing one broker change it, so each keeps its own offsets."""
