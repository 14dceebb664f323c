"""Where the embedded stack listens and keeps its state, and what every child process is told.

Every address and port reads the environment variable of the same name, so a second stack can
run beside the first on other ports with another ``DATA_DIR`` (the end-to-end suite does).
"""

import secrets
from collections.abc import Mapping
from pathlib import Path

from pydantic import PrivateAttr
from sqlalchemy.engine import make_url

from libs.config import Environment, PlatformSettings
from libs.database import is_sqlite

SMTP_CREDENTIALS = ("SMTP_USERNAME", "SMTP_PASSWORD")
"""The embedded SMTP server takes no login: a developer's real credentials must not reach it."""


class LocalStackSettings(PlatformSettings):
    ENVIRONMENT: Environment = Environment.DEVELOPMENT
    """The embedded stack is a development stack, whatever the shared default."""
    BIND_HOST: str = "127.0.0.1"
    KAFKA_PORT: int = 9092
    TEMPORAL_PORT: int = 7233
    TEMPORAL_UI_PORT: int = 8233
    INTAKE_PORT: int = 8000
    SELECTION_PORT: int = 8001
    CONTRACTS_PORT: int = 8002
    NOTIFICATIONS_PORT: int = 8003
    WORKFLOWS_PORT: int = 8004
    CONSOLE_PORT: int = 8005

    STARTUP_TIMEOUT_SECONDS: float = 90.0
    """How long one part may take to become healthy before the launcher gives up."""
    STOP_TIMEOUT_SECONDS: float = 10.0
    """How long a part may take to exit after SIGTERM before it is killed."""

    _new_link_secret: str | None = PrivateAttr(default=None)
    """A link secret made for a first start, written to DATA_DIR once the stack starts."""

    @property
    def data_dir(self) -> Path:
        return self.DATA_DIR.resolve()

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def smtp_refusal_file(self) -> Path:
        """Holds the Unix time until which the SMTP server refuses mail (fault drills)."""
        return self.data_dir / "smtp-refuse-until"

    @property
    def hold_dir(self) -> Path:
        """A file named after a part here keeps that part down once it dies (fault drills)."""
        return self.data_dir / "hold"

    @property
    def temporal_db_file(self) -> Path:
        return self.data_dir / "temporal.db"

    @property
    def link_secret_file(self) -> Path:
        return self.data_dir / "link-secret"

    @property
    def stack_file(self) -> Path:
        return self.data_dir / "stack.json"

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"{self.BIND_HOST}:{self.KAFKA_PORT}"

    @property
    def temporal_address(self) -> str:
        return f"{self.BIND_HOST}:{self.TEMPORAL_PORT}"

    @property
    def database_url(self) -> str:
        """SQLite in ``DATA_DIR`` unless ``DATABASE_URL`` was set; SQLite paths made absolute."""
        if "DATABASE_URL" not in self.model_fields_set:
            return f"sqlite:///{self.data_dir / 'eig.db'}"
        if not is_sqlite(self.DATABASE_URL):
            return self.DATABASE_URL
        url = make_url(self.DATABASE_URL)
        if url.database in (None, "", ":memory:"):
            raise ValueError("DATABASE_URL: the stack's processes need a SQLite file they share")
        return url.set(database=str(Path(url.database).resolve())).render_as_string(
            hide_password=False
        )

    @property
    def public_intake_url(self) -> str:
        if "PUBLIC_INTAKE_URL" in self.model_fields_set:
            return self.PUBLIC_INTAKE_URL
        return self.service_url(self.INTAKE_PORT)

    def service_url(self, port: int) -> str:
        return f"http://{self.BIND_HOST}:{port}"


def child_environment(settings: LocalStackSettings, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of every child: ``base`` (the launcher's own) plus the stack's addresses.

    Children get absolute paths, so their working directory does not matter, and every
    service's HOST/PORT pair, so each one finds its own and the others' addresses.
    """
    environment = {key: value for key, value in base.items() if key not in SMTP_CREDENTIALS}
    host = settings.BIND_HOST
    environment.update(
        {
            "ENVIRONMENT": Environment.DEVELOPMENT.value,
            "DOSSIER_LINK_SECRET": base.get("DOSSIER_LINK_SECRET") or stack_link_secret(settings),
            "DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "TEMPORAL_ADDRESS": settings.temporal_address,
            "TEMPORAL_NAMESPACE": settings.TEMPORAL_NAMESPACE,
            "TEMPORAL_TASK_QUEUE": settings.TEMPORAL_TASK_QUEUE,
            "SMTP_HOST": host,
            "SMTP_PORT": str(settings.SMTP_PORT),
            "SMTP_STARTTLS": "false",
            "PUBLIC_INTAKE_URL": settings.public_intake_url,
            # Links in e-mails point at this stack's own ports (staff and contract pages).
            "PUBLIC_SELECTION_URL": settings.service_url(settings.SELECTION_PORT),
            "PUBLIC_CONTRACTS_URL": settings.service_url(settings.CONTRACTS_PORT),
            "INTAKE_HOST": host,
            "INTAKE_PORT": str(settings.INTAKE_PORT),
            "SELECTION_HOST": host,
            "SELECTION_PORT": str(settings.SELECTION_PORT),
            "CONTRACTS_HOST": host,
            "CONTRACTS_PORT": str(settings.CONTRACTS_PORT),
            "NOTIFICATIONS_HOST": host,
            "NOTIFICATIONS_PORT": str(settings.NOTIFICATIONS_PORT),
            "WORKFLOWS_HOST": host,
            "WORKFLOWS_PORT": str(settings.WORKFLOWS_PORT),
            "CONSOLE_HOST": host,
            "CONSOLE_PORT": str(settings.CONSOLE_PORT),
            # The console calls the staff APIs of this stack with the signed-in user's token.
            "SELECTION_API_URL": settings.service_url(settings.SELECTION_PORT),
            "CONTRACTS_API_URL": settings.service_url(settings.CONTRACTS_PORT),
            "LOG_LEVEL": settings.LOG_LEVEL,
            # Log files show each line as it is written, not when a buffer fills.
            "PYTHONUNBUFFERED": "1",
        }
    )
    return environment


def stack_link_secret(settings: LocalStackSettings) -> str:
    """This stack's own random link secret (no secret is written in the repository): the one
    in ``DATA_DIR`` if the stack ran before, so links sent before a restart still open, else a
    new one that :func:`save_link_secret` keeps once the stack starts."""
    path = settings.link_secret_file
    if path.is_file():
        return path.read_text().strip()
    if settings._new_link_secret is None:
        settings._new_link_secret = secrets.token_hex(32)
    return settings._new_link_secret


def save_link_secret(settings: LocalStackSettings) -> None:
    """Keep the secret :func:`stack_link_secret` made (the data directory exists by now)."""
    if settings._new_link_secret is not None and not settings.link_secret_file.is_file():
        settings.link_secret_file.write_text(settings._new_link_secret + "\n")
        settings.link_secret_file.chmod(0o600)
