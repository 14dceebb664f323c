"""Intake's settings: the shared connection settings plus what only intake reads."""

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from libs.config import DatabaseSettings, PlatformSettings
from libs.messages.topics import ConsumerGroups


class ConfirmationSettings(DatabaseSettings):
    """The e-mail address confirmation's delay: all the purge command reads besides the
    database (``python -m services.intake.purge`` needs no secret)."""

    APPLICATION_CONFIRMATION_DELAY_HOURS: float = Field(default=72.0, gt=0)
    """How long an applicant has to confirm the e-mail address (the link in the first e-mail);
    unconfirmed past it, the application is purged (docs/adr/0024)."""
    APPLICATION_CONFIRMATION_PURGE_ENABLED: bool = True
    APPLICATION_CONFIRMATION_PURGE_INTERVAL_SECONDS: float = Field(default=3600.0, gt=0)
    """How often intake purges the expired unconfirmed applications (also
    ``python -m services.intake.purge``)."""

    @property
    def confirmation_delay(self) -> timedelta:
        return timedelta(hours=self.APPLICATION_CONFIRMATION_DELAY_HOURS)


class IntakeSettings(PlatformSettings, ConfirmationSettings):
    LINKS_SIGNED: ClassVar[bool] = True
    LISTEN_HOST_SETTING: ClassVar[str | None] = "INTAKE_HOST"

    INTAKE_HOST: str = "127.0.0.1"
    INTAKE_PORT: int = 8000
    INTAKE_CREATE_TABLES: bool = False
    """Create the tables at startup (embedded stack, demos); production runs Alembic instead."""

    MAX_BODY_BYTES: int = 64 * 1024
    """Largest request body accepted; anything bigger is refused with 413 before parsing."""

    RATE_LIMIT_ENABLED: bool = True
    """Limit applications per client address and per e-mail address (429 with Retry-After).
    The counts are in the database: every replica sharing it shares them (docs/adr/0017)."""
    RATE_LIMIT_PER_ADDRESS: int = Field(default=20, ge=1)
    """Applications accepted from one client address (IPv6: one /64) per window."""
    RATE_LIMIT_ADDRESS_WINDOW_SECONDS: int = Field(default=3600, ge=1)
    RATE_LIMIT_PER_EMAIL: int = Field(default=3, ge=1)
    """Applications accepted for one e-mail address (case and +tags ignored) per window."""
    RATE_LIMIT_EMAIL_WINDOW_SECONDS: int = Field(default=86_400, ge=1)

    OUTBOX_RELAY_ENABLED: bool = True
    OUTBOX_POLL_SECONDS: float = 1.0
    """The relay is woken at once after each accepted application; polling is the safety net."""
    OUTBOX_BATCH_SIZE: int = 100
    OUTBOX_MAX_BACKOFF_SECONDS: float = 30.0

    STATUS_VIEW_ENABLED: bool = True
    STATUS_VIEW_CONSUMER_GROUP: str = ConsumerGroups.INTAKE_STATUS_VIEW
    """Only tests sharing one broker change it, so each reads the topic from the start."""

    PUBLIC_RESULTS_ENABLED: bool = True
    """Keep the public results (``GET /resultats``) up to date from the dossier and contract
    events."""
    PUBLIC_RESULTS_CONSUMER_GROUP: str = ConsumerGroups.INTAKE_PUBLIC_RESULTS
    PUBLIC_RESULTS_CONTRACTS_CONSUMER_GROUP: str = ConsumerGroups.INTAKE_PUBLIC_RESULTS_CONTRACTS
    """Like the status view's, only tests sharing one broker change them."""

    RECONCILER_ENABLED: bool = True
    RECONCILE_INTERVAL_SECONDS: float = 60.0
    RECONCILE_GRACE_SECONDS: float = 120.0
    """How long the bridge has to start a dossier's workflow before the reconciler republishes.

    A broker loss is repaired by the outbox's epoch check within a second (ADR 14), so the
    reconciler only covers rarer losses; a short grace made it republish, during a burst the
    bridge was still working through, submissions that were merely queued, and each copy slowed
    the bridge further."""
    RECONCILE_MAX_REPUBLISHES: int = Field(default=5, ge=1)
    """Republishes of one dossier's submission before the reconciler gives up on it and
    reports it (``make status``): a submission the bridge keeps refusing is not a lost
    message, and republishing it for ever would only load the bridge."""
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
