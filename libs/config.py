"""Connection settings shared by every service; each service's Settings class extends them.

Every field reads the environment variable of the same name (e.g. ``KAFKA_BOOTSTRAP_SERVERS``),
so the same code runs against the embedded stack or production engines by configuration alone.
"""

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_LINK_SECRET = "dev-only-link-secret-change-me"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class AuthMode(StrEnum):
    DEV = "dev"
    """Random per-role tokens in DATA_DIR/dev-tokens.json (embedded stack only)."""
    OIDC = "oidc"
    """JWTs from the identity provider (ProConnect), checked against its JWKS."""


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    ENVIRONMENT: Environment = Environment.DEVELOPMENT
    DATA_DIR: Path = Path(".eig")
    """Where the embedded stack keeps its state (SQLite, Temporal, Maildir)."""

    DATABASE_URL: str = "sqlite:///.eig/eig.db"
    KAFKA_BOOTSTRAP_SERVERS: str = "127.0.0.1:9092"
    TEMPORAL_ADDRESS: str = "127.0.0.1:7233"
    TEMPORAL_NAMESPACE: str = "default"
    TEMPORAL_TASK_QUEUE: str = "eig-dossiers"

    BROKER_EPOCH_CHECK_SECONDS: float = 1.0
    """How often each outbox relay reads the broker's epoch (libs.broker_epoch); 0 disables
    it (a broker with durable storage never loses what it acknowledged)."""
    OUTBOX_REPUBLISH_WINDOW_SECONDS: float = 900.0
    """On a new broker epoch, the outbox rows acknowledged this recently are published again:
    longer than any consumer may lag behind (docs/adr/0013)."""

    SMTP_HOST: str = "127.0.0.1"
    SMTP_PORT: int = 1025
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_STARTTLS: bool = False
    MAIL_FROM: str = "EIG <eig@beta.gouv.fr>"

    PUBLIC_INTAKE_URL: str = "http://127.0.0.1:8000"
    """Base of the links sent to applicants (their private status page)."""
    PUBLIC_CONTRACTS_URL: str = "http://127.0.0.1:8002"
    """Where applicants open their contract offer (``/contracts/{id}?token=…``) and documents."""
    DOSSIER_LINK_SECRET: SecretStr = SecretStr(DEV_LINK_SECRET)
    """Key of the HMAC that makes each dossier's private link unguessable."""

    LOG_LEVEL: str = "INFO"

    AUTH_MODE: AuthMode = AuthMode.DEV
    OIDC_ISSUER: str | None = None
    OIDC_AUDIENCE: str | None = None
    OIDC_JWKS_URL: str | None = None
    OIDC_ROLES_CLAIM: str = "roles"
    """Claim listing the user's roles (staff, evaluator, jury, admin)."""

    @property
    def dev_tokens_file(self) -> Path:
        return self.DATA_DIR / "dev-tokens.json"

    @property
    def dev_signing_key_file(self) -> Path:
        """The key of the development JWTs (beside ``dev-tokens.json``, see libs.auth)."""
        return self.DATA_DIR / "dev-signing-key"

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Self:
        if (
            self.ENVIRONMENT == Environment.PRODUCTION
            and self.DOSSIER_LINK_SECRET.get_secret_value() == DEV_LINK_SECRET
        ):
            raise ValueError("DOSSIER_LINK_SECRET must be set to a real secret in production")
        if self.ENVIRONMENT == Environment.PRODUCTION and self.AUTH_MODE == AuthMode.DEV:
            raise ValueError("AUTH_MODE must be oidc in production")
        if self.AUTH_MODE == AuthMode.OIDC and not (
            self.OIDC_ISSUER and self.OIDC_AUDIENCE and self.OIDC_JWKS_URL
        ):
            raise ValueError("AUTH_MODE=oidc needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL")
        return self
