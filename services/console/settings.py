"""Console settings: the shared settings plus where the staff APIs are and how sessions last."""

from typing import Self

from pydantic import SecretStr, model_validator

from libs.config import Environment, PlatformSettings

DEV_SESSION_SECRET = "dev-only-console-session-secret-change-me"  # noqa: S105 - refused in production


class ConsoleSettings(PlatformSettings):
    CONSOLE_HOST: str = "127.0.0.1"
    CONSOLE_PORT: int = 8005
    SELECTION_API_URL: str = "http://127.0.0.1:8001"
    """The selection staff API the console calls with the signed-in user's token."""
    CONTRACTS_API_URL: str = "http://127.0.0.1:8002"
    CONSOLE_SESSION_SECRET: SecretStr = SecretStr(DEV_SESSION_SECRET)
    """Key that encrypts the session cookie (it holds the user's token)."""
    CONSOLE_SESSION_IDLE_MINUTES: int = 30
    """A session unused for this long is over: the user signs in again."""
    CONSOLE_API_TIMEOUT_SECONDS: float = 10.0

    @model_validator(mode="after")
    def _refuse_dev_session_secret_in_production(self) -> Self:
        if (
            self.ENVIRONMENT == Environment.PRODUCTION
            and self.CONSOLE_SESSION_SECRET.get_secret_value() == DEV_SESSION_SECRET
        ):
            raise ValueError("CONSOLE_SESSION_SECRET must be set to a real secret in production")
        return self
