"""Selection service settings: the shared connection settings, the operations report's sources,
and what only selection reads."""

from libs.messages.topics import ConsumerGroups
from libs.operations.sources import OperationsSettings


class SelectionSettings(OperationsSettings):
    """Also the operations sources: the staff API serves the operations report (admins)."""

    SELECTION_HOST: str = "127.0.0.1"
    SELECTION_PORT: int = 8001
    SELECTION_CREATE_TABLES: bool = False
    """Create the tables at startup (tests, throwaway setups); Alembic owns them otherwise."""

    SELECTION_READ_MODEL_ENABLED: bool = True
    """Consume applications and dossier events into the staff read model (off in unit tests)."""
    SELECTION_READ_MODEL_CONSUMER_GROUP: str = ConsumerGroups.SELECTION_READ_MODEL
    """Only tests sharing one broker change it, so each keeps its own offsets."""
