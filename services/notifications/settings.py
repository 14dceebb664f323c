"""Settings of the notifications service (environment variables of the same name)."""

from pydantic import EmailStr

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class NotificationsSettings(PlatformSettings):
    NOTIFICATIONS_HOST: str = "127.0.0.1"
    NOTIFICATIONS_PORT: int = 8003
    NOTIFICATIONS_CONSUMER_GROUP: str = ConsumerGroups.NOTIFICATIONS
    """Overridable so that tests sharing one broker each keep their own offsets."""
    NOTIFICATIONS_CREATE_TABLES: bool = False
    """Create the table at startup (tests, throwaway setups); Alembic owns it otherwise."""

    STAFF_EMAIL: EmailStr = "eig-equipe@beta.gouv.fr"
    """Where staff reminders go (a dossier stage waiting for staff passed its deadline)."""
    PUBLIC_SELECTION_URL: str = "http://127.0.0.1:8001"
    """Base of the staff selection API, which reminders link to."""

    SMTP_MAX_ATTEMPTS: int = 5
    """Attempts per event before it goes to the dead-letter topic."""
    SMTP_RETRY_INITIAL_DELAY: float = 1.0
    SMTP_RETRY_MAX_DELAY: float = 30.0
    SMTP_TIMEOUT: float = 10.0
