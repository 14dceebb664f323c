"""Settings of the workflows process (worker, Kafka bridge, health endpoints)."""

from datetime import date

from pydantic import Field

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class WorkflowsSettings(PlatformSettings):
    WORKFLOWS_HOST: str = "127.0.0.1"
    """Where the process serves /healthz, /readyz and /metrics."""
    WORKFLOWS_PORT: int = 8004
    WORKFLOWS_BRIDGE_CONSUMER_GROUP: str = ConsumerGroups.WORKFLOWS_BRIDGE
    """Consumer group of the applications → workflows bridge; it keeps the bridge's offsets."""
    STAGE_DEADLINE_DAYS: int = Field(default=14, ge=1)
    """Days staff have at each dossier stage before it is flagged overdue (set per dossier)."""

    CURRENT_PROMOTION_NUMBER: int = Field(default=7, ge=1)
    """The promotion seeded at start (its workflow is ``promotion-<number>``)."""
    CURRENT_PROMOTION_YEAR: int = Field(default_factory=lambda: date.today().year, ge=2016)
    """Year of the current promotion (default: this year)."""
    PROMOTION_SEAT_CAP: int = Field(default=30, ge=0)
    """Seats of the current promotion, used only when its workflow is first started."""

    CONTRACT_OFFER_VALIDITY_DAYS: int = Field(default=10, ge=1)
    """Days a contract offer stays open before it lapses (the seat is then released)."""
    CONTRACT_OFFER_REMINDER_DAYS: int = Field(default=3, ge=0)
    """Days before an offer lapses that the candidate is reminded (0: no reminder)."""
