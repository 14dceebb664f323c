"""Intake's settings: the shared connection settings plus what only intake reads."""

from pydantic import Field

from libs.config import PlatformSettings
from libs.messages.topics import ConsumerGroups


class IntakeSettings(PlatformSettings):
    INTAKE_HOST: str = "127.0.0.1"
    INTAKE_PORT: int = 8000
    INTAKE_CREATE_TABLES: bool = False
    """Create the tables at startup (embedded stack, demos); production runs Alembic instead."""

    MAX_BODY_BYTES: int = 64 * 1024
    """Largest request body accepted; anything bigger is refused with 413 before parsing."""

    OUTBOX_RELAY_ENABLED: bool = True
    OUTBOX_POLL_SECONDS: float = 1.0
    """The relay is woken at once after each accepted application; polling is the safety net."""
    OUTBOX_BATCH_SIZE: int = 100
    OUTBOX_MAX_BACKOFF_SECONDS: float = 30.0

    STATUS_VIEW_ENABLED: bool = True
    STATUS_VIEW_CONSUMER_GROUP: str = ConsumerGroups.INTAKE_STATUS_VIEW
    """Only tests sharing one broker change it, so each reads the topic from the start."""

    RECONCILER_ENABLED: bool = True
    RECONCILE_INTERVAL_SECONDS: float = 60.0
    RECONCILE_GRACE_SECONDS: float = 120.0
    """How long the bridge has to start a dossier's workflow before the reconciler republishes.

    A broker loss is repaired by the outbox's epoch check within a second (ADR 13), so the
    reconciler only covers rarer losses; a short grace made it republish, during a burst the
    bridge was still working through, submissions that were merely queued, and each copy slowed
    the bridge further."""
    RECONCILE_BATCH_SIZE: int = 1000
    """Dossiers per round, looked up in Temporal 100 per visibility query; a full round is
    followed by another at once."""

    LEGAL_HOSTING_PROVIDER: str = (
        "Direction interministérielle du numérique (DINUM), 20 avenue de Ségur, 75007 Paris"
    )
    """Who hosts the service, with their address: the legal notice must name them."""

    CURRENT_PROMOTION_NUMBER: int = Field(default=7, ge=1)
    """The promotion whose seats and rounds the landing page shows (the same variable tells
    the workflows process which promotion to seed)."""

    KAFKA_LAG_EXPORT_ENABLED: bool = True
    """Export ``kafka_consumergroup_lag`` of every consumer group on /metrics (docs/adr/0012:
    intake is the one process that does; with several replicas, enable it on one)."""
    KAFKA_LAG_EXPORT_SECONDS: float = 15.0
