"""Settings of the notifications service (environment variables of the same name)."""

from typing import ClassVar

from pydantic import EmailStr

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class NotificationsSettings(PlatformSettings):
    LINKS_SIGNED: ClassVar[bool] = True
    LISTEN_HOST_SETTING: ClassVar[str | None] = "NOTIFICATIONS_HOST"

    NOTIFICATIONS_HOST: str = "127.0.0.1"
    NOTIFICATIONS_PORT: int = 8003
    NOTIFICATIONS_CONSUMER_GROUP: str = ConsumerGroups.NOTIFICATIONS
    """Overridable so that tests sharing one broker each keep their own offsets."""
    NOTIFICATIONS_CONTRACTS_CONSUMER_GROUP: str = ConsumerGroups.NOTIFICATIONS_CONTRACTS
    """The contract-event consumer's group (overridable for the same reason)."""
    NOTIFICATIONS_APPLICATIONS_CONSUMER_GROUP: str = ConsumerGroups.NOTIFICATIONS_APPLICATIONS
    """The received applications' consumer group (the confirmation requests; overridable for
    the same reason)."""
    NOTIFICATIONS_CREATE_TABLES: bool = False
    """Create the table at startup (tests, throwaway setups); Alembic owns it otherwise."""

    STAFF_EMAIL: EmailStr = "eig-equipe@beta.gouv.fr"
    """Where staff notices go: a dossier stage past its deadline, a contract renewal to decide,
    a mission letter whose host contact is unknown (to forward)."""
    PUBLIC_SELECTION_URL: str = "http://127.0.0.1:8001"
    """Base of the staff selection API, which reminders link to."""

    SMTP_MAX_ATTEMPTS: int = 10
    """Attempts per event before it goes to the dead-letter topic (PUBLIC_CONTRACTS_URL, the
    base of the contract links, is a platform setting). With the delays below, ten attempts
    ride out about 2.5 minutes of a relay refusing mail (five gave up after 15 s, so a 30 s
    SMTP outage dead-lettered acknowledgements: ``make chaos``)."""
    SMTP_RETRY_INITIAL_DELAY: float = 1.0
    SMTP_RETRY_MAX_DELAY: float = 30.0
    SMTP_TIMEOUT: float = 10.0
