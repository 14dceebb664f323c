"""Connection settings shared by every service; each service's Settings class extends them.

Every field reads the environment variable of the same name (e.g. ``KAFKA_BOOTSTRAP_SERVERS``),
so the same code runs against the embedded stack or production engines by configuration alone.
"""

import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Final, Self

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from libs.dossier_links import LinkKeys, LinkSecretError, parse_secret
from libs.personal_data import RetentionPolicy

DEV_LINK_KEY = b"eig-development-only-link-key-32b"
"""The key of development and test processes that listen on loopback only and were given no
``DOSSIER_LINK_SECRET`` (``make run`` gives its own random one). Never accepted elsewhere."""
LOOPBACK_NAMES = frozenset({"localhost"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class AuthMode(StrEnum):
    DEV = "dev"
    """Random per-role tokens in DATA_DIR/dev-tokens.json (embedded stack only)."""
    OIDC = "oidc"
    """JWTs from the identity provider (ProConnect), checked against its JWKS."""


class KafkaSecurityProtocol(StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_SSL = "SASL_SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    """SASL over a connection in clear: for a broker on a private network only."""

    @property
    def uses_sasl(self) -> bool:
        return self in {KafkaSecurityProtocol.SASL_SSL, KafkaSecurityProtocol.SASL_PLAINTEXT}

    @property
    def uses_tls(self) -> bool:
        return self in {KafkaSecurityProtocol.SSL, KafkaSecurityProtocol.SASL_SSL}


class KafkaSaslMechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


FILE_SUFFIX: Final = "_FILE"


class FileVariables(PydanticBaseSettingsSource):
    """``<NAME>_FILE=/run/secrets/…``: the setting ``<NAME>`` is that file's content (one
    trailing newline dropped), the convention of Docker and Compose secrets and of the official
    images (``POSTGRES_PASSWORD_FILE``). Any setting can be given so; secrets should be, to
    stay out of the process environment and the Compose file (docs/adr/0026).

    After the environment and before ``.env``; both ``<NAME>`` and ``<NAME>_FILE`` set is a
    mistake, refused with their names.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"{field_name}{FILE_SUFFIX}"
        path = os.environ.get(variable)
        if not path:
            return None, field_name, False
        if os.environ.get(field_name):
            raise ValueError(f"{field_name} and {variable} are both set: set one of them")
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"{variable}={path}: cannot read it ({error.strerror})") from None
        return content.removesuffix("\n").removesuffix("\r"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, is_complex = self.get_field_value(field, name)
            if value is not None:
                values[key] = self.prepare_field_value(name, field, value, is_complex)
        return values


class DatabaseSettings(BaseSettings):
    """Only the database: what migrations read, so they run wherever the database is reachable
    whatever the rest of the configuration (secrets, identity provider) holds.

    Every setting of this class and its subclasses may also come from a file named by
    ``<NAME>_FILE`` (:class:`FileVariables`)."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    DATABASE_URL: str = "sqlite:///.eig/eig.db"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            FileVariables(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )


class RetentionSettings(DatabaseSettings):
    """The retention policy (docs/DATA-PROTECTION.md): what every service's purge reads, and
    all that ``python -m deploy.retention`` needs besides the database."""

    RETENTION_IDEMPOTENCY_DAYS: int = Field(default=7, ge=1)
    RETENTION_SENT_OUTBOX_DAYS: int = Field(default=7, ge=1)
    RETENTION_SENT_NOTIFICATION_DAYS: int = Field(default=90, ge=1)
    RETENTION_FINAL_DOSSIER_DAYS: int = Field(default=730, ge=1)
    RETENTION_BATCH_SIZE: int = Field(default=500, ge=1, le=10_000)
    RETENTION_PURGE_INTERVAL_SECONDS: float = Field(default=3600.0, ge=0)
    """How often each service applies the policy to its tables; 0 leaves it to the CLI."""

    @property
    def retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(
            idempotency_days=self.RETENTION_IDEMPOTENCY_DAYS,
            sent_outbox_days=self.RETENTION_SENT_OUTBOX_DAYS,
            sent_notification_days=self.RETENTION_SENT_NOTIFICATION_DAYS,
            final_dossier_days=self.RETENTION_FINAL_DOSSIER_DAYS,
            batch_size=self.RETENTION_BATCH_SIZE,
        )


class PlatformSettings(RetentionSettings):
    LINKS_SIGNED: ClassVar[bool] = False
    """True for the services that build or check applicants' private links: they refuse to
    start without a real ``DOSSIER_LINK_SECRET`` (except in development and test on loopback)."""
    LISTEN_HOST_SETTING: ClassVar[str | None] = None
    """The setting holding the address the service listens on (e.g. ``INTAKE_HOST``)."""

    ENVIRONMENT: Environment = Environment.PRODUCTION
    """Production behaviour unless told otherwise: a forgotten variable must not weaken it."""
    DATA_DIR: Path = Path(".eig")
    """Where the embedded stack keeps its state (SQLite, Temporal, Maildir)."""

    INTERNAL_PORT: int | None = Field(default=None, ge=1, le=65_535)
    """A second listener for what only operators and the platform's own processes need:
    ``/readyz``, ``/metrics`` and the API documents (``/docs``, ``/redoc``, ``/openapi.json``).
    Set, those paths answer 404 on the service's public port and are served here (``/healthz``
    and everything else on both); unset, everything is on the one port. In a deployment,
    publish only the public port and point Prometheus and ``SERVICE_URLS`` at this one
    (libs.http_service.listeners, docs/adr/0026)."""
    INTERNAL_HOST: str | None = None
    """The internal listener's address; unset, the service's own (``<SERVICE>_HOST``)."""

    KAFKA_BOOTSTRAP_SERVERS: str = "127.0.0.1:9092"
    KAFKA_SECURITY_PROTOCOL: KafkaSecurityProtocol = KafkaSecurityProtocol.PLAINTEXT
    """How every Kafka client of the process connects (libs.kafka_connection)."""
    KAFKA_SASL_MECHANISM: KafkaSaslMechanism = KafkaSaslMechanism.PLAIN
    KAFKA_SASL_USERNAME: str | None = None
    KAFKA_SASL_PASSWORD: SecretStr | None = None
    KAFKA_SSL_CA_FILE: Path | None = None
    """PEM bundle the broker's certificate is checked against; unset, the system's."""
    KAFKA_SSL_CERT_FILE: Path | None = None
    """The client's certificate (PEM), for a broker that asks for one (mutual TLS)."""
    KAFKA_SSL_KEY_FILE: Path | None = None

    TEMPORAL_ADDRESS: str = "127.0.0.1:7233"
    TEMPORAL_NAMESPACE: str = "default"
    TEMPORAL_TASK_QUEUE: str = "eig-dossiers"
    TEMPORAL_TLS: bool = False
    """Connect to Temporal over TLS (implied by a CA file or a client certificate)."""
    TEMPORAL_TLS_CA_FILE: Path | None = None
    """PEM bundle the frontend's certificate is checked against; unset, the system's."""
    TEMPORAL_TLS_CERT_FILE: Path | None = None
    """The client's certificate (PEM) for mutual TLS, with ``TEMPORAL_TLS_KEY_FILE``."""
    TEMPORAL_TLS_KEY_FILE: Path | None = None
    TEMPORAL_TLS_SERVER_NAME: str | None = None
    """The name the frontend's certificate must carry, when not the address's host."""
    TEMPORAL_API_KEY: SecretStr | None = None
    """Sent as a bearer token on every call (Temporal Cloud's API keys); only over TLS."""

    BROKER_EPOCH_CHECK_SECONDS: float = 1.0
    """How often each outbox relay reads the broker's epoch (libs.broker_epoch); 0 disables
    it (a broker with durable storage never loses what it acknowledged)."""
    OUTBOX_REPUBLISH_WINDOW_SECONDS: float = 900.0
    """On a new broker epoch, the outbox rows acknowledged this recently are published again:
    longer than any consumer may lag behind (docs/adr/0014)."""

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
    DOSSIER_LINK_SECRET: SecretStr | None = None
    """Key of the HMAC that makes each dossier's private links unguessable: at least 32 random
    bytes in hex or base64 (``openssl rand -hex 32``)."""
    DOSSIER_LINK_KEY_VERSION: int = Field(default=1, ge=1, le=999_999_999)
    """Version of ``DOSSIER_LINK_SECRET``, written in every link: increase it at each rotation."""
    DOSSIER_LINK_PREVIOUS_SECRETS: dict[int, SecretStr] = {}
    """Secrets of earlier versions still accepted during a rotation's grace period, as JSON:
    ``{"1": "<hex>"}``. New links are always signed with the current secret."""

    LOG_LEVEL: str = "INFO"
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None
    """Base URL of an OTLP/HTTP collector (``http://collector:4318``): the process exports its
    traces there (``/v1/traces``). Unset, tracing is off (libs.tracing, ADR 21)."""

    AUTH_MODE: AuthMode = AuthMode.DEV
    OIDC_ISSUER: str | None = None
    OIDC_AUDIENCE: str | None = None
    OIDC_JWKS_URL: str | None = None
    OIDC_ROLES_CLAIM: str = "roles"
    """Claim listing the user's roles (staff, evaluator, jury, admin)."""
    OIDC_USERINFO_URL: str | None = None
    """The provider's userinfo endpoint, to accept its opaque access tokens (ProConnect's):
    unset, only signed JWT access tokens are accepted."""
    OIDC_FETCH_TIMEOUT_SECONDS: float = Field(default=3.0, gt=0, le=30)
    """Timeout of every request to the provider (JWKS, userinfo, discovery, token)."""
    OIDC_CLOCK_SKEW_SECONDS: int = Field(default=30, ge=0, le=300)
    """Leeway on the tokens' expiry and issue times, for clocks slightly apart."""

    @property
    def dev_tokens_file(self) -> Path:
        return self.DATA_DIR / "dev-tokens.json"

    @property
    def dev_signing_key_file(self) -> Path:
        """The key of the development JWTs (beside ``dev-tokens.json``, see libs.auth)."""
        return self.DATA_DIR / "dev-signing-key"

    @property
    def link_keys(self) -> LinkKeys:
        """The keys of the private links (checked at start-up by the validator below)."""
        if self.DOSSIER_LINK_SECRET is None:
            if self.ENVIRONMENT == Environment.PRODUCTION:
                raise LinkSecretError("DOSSIER_LINK_SECRET is required in production")
            return LinkKeys.single(DEV_LINK_KEY, self.DOSSIER_LINK_KEY_VERSION)
        keys = {
            version: parse_secret(secret.get_secret_value())
            for version, secret in self.DOSSIER_LINK_PREVIOUS_SECRETS.items()
        }
        keys[self.DOSSIER_LINK_KEY_VERSION] = parse_secret(
            self.DOSSIER_LINK_SECRET.get_secret_value()
        )
        return LinkKeys(version=self.DOSSIER_LINK_KEY_VERSION, keys=keys)

    @model_validator(mode="after")
    def _refuse_weak_settings_in_production(self) -> Self:
        if self.LINKS_SIGNED:
            self._check_link_secrets()
        if self.ENVIRONMENT == Environment.PRODUCTION and self.AUTH_MODE == AuthMode.DEV:
            raise ValueError("AUTH_MODE must be oidc in production")
        if self.AUTH_MODE == AuthMode.OIDC and not (
            self.OIDC_ISSUER and self.OIDC_AUDIENCE and self.OIDC_JWKS_URL
        ):
            raise ValueError("AUTH_MODE=oidc needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL")
        self._check_kafka_security()
        self._check_temporal_security()
        return self

    @property
    def temporal_uses_tls(self) -> bool:
        """``TEMPORAL_TLS``, or implied by a CA or client certificate."""
        return self.TEMPORAL_TLS or any((self.TEMPORAL_TLS_CA_FILE, self.TEMPORAL_TLS_CERT_FILE))

    def _check_kafka_security(self) -> None:
        protocol = self.KAFKA_SECURITY_PROTOCOL
        if protocol.uses_sasl:
            missing = [
                name
                for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"KAFKA_SECURITY_PROTOCOL={protocol} needs {' and '.join(missing)}"
                )
        tls_files = ("KAFKA_SSL_CA_FILE", "KAFKA_SSL_CERT_FILE", "KAFKA_SSL_KEY_FILE")
        if not protocol.uses_tls:
            given = [name for name in tls_files if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} set but KAFKA_SECURITY_PROTOCOL={protocol} does not "
                    "use TLS (SSL or SASL_SSL)"
                )
        _check_pair(self, "KAFKA_SSL_CERT_FILE", "KAFKA_SSL_KEY_FILE")
        _check_files_exist(self, tls_files)

    def _check_temporal_security(self) -> None:
        if self.TEMPORAL_API_KEY is not None and not self.temporal_uses_tls:
            raise ValueError(
                "TEMPORAL_API_KEY needs TEMPORAL_TLS=true: the key must not travel in clear"
            )
        _check_pair(self, "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE")
        _check_files_exist(
            self, ("TEMPORAL_TLS_CA_FILE", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE")
        )

    def _check_link_secrets(self) -> None:
        if self.DOSSIER_LINK_SECRET is None:
            host = getattr(self, self.LISTEN_HOST_SETTING) if self.LISTEN_HOST_SETTING else None
            if self.ENVIRONMENT == Environment.PRODUCTION:
                raise ValueError(
                    "DOSSIER_LINK_SECRET is required in production: at least 32 random bytes "
                    "in hex or base64 (e.g. `openssl rand -hex 32`)"
                )
            if host is not None and not is_loopback(host):
                raise ValueError(
                    f"DOSSIER_LINK_SECRET is required when {self.LISTEN_HOST_SETTING}={host} "
                    "is not a loopback address (the development key is for loopback only)"
                )
            return
        if self.DOSSIER_LINK_KEY_VERSION in self.DOSSIER_LINK_PREVIOUS_SECRETS:
            raise ValueError(
                f"DOSSIER_LINK_PREVIOUS_SECRETS must not hold the current version "
                f"{self.DOSSIER_LINK_KEY_VERSION} (DOSSIER_LINK_KEY_VERSION)"
            )
        secrets = {"DOSSIER_LINK_SECRET": self.DOSSIER_LINK_SECRET} | {
            f"DOSSIER_LINK_PREVIOUS_SECRETS[{version}]": secret
            for version, secret in self.DOSSIER_LINK_PREVIOUS_SECRETS.items()
        }
        for name, secret in secrets.items():
            try:
                parse_secret(secret.get_secret_value())
            except LinkSecretError as error:
                raise ValueError(f"{name} {error}") from None


def _check_pair(settings: BaseSettings, cert: str, key: str) -> None:
    """A client certificate goes with its key: one without the other is a mistake."""
    if (getattr(settings, cert) is None) != (getattr(settings, key) is None):
        raise ValueError(f"{cert} and {key} go together: set both or neither")


def _check_files_exist(settings: BaseSettings, names: tuple[str, ...]) -> None:
    """At start-up rather than at the first connection, which may come much later."""
    for name in names:
        path: Path | None = getattr(settings, name)
        if path is not None and not path.is_file():
            raise ValueError(f"{name}={path}: no such file")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
