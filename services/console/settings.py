"""Console settings: the shared settings plus where the staff APIs are and how sessions last."""

from typing import Self

from pydantic import SecretStr, model_validator

from libs.config import AuthMode, Environment, PlatformSettings

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
    CONSOLE_PUBLIC_URL: str = "http://127.0.0.1:8005"
    """Where browsers reach the console: the base of the OIDC redirect URI
    (``…/console/connexion/retour``) and of the address the provider returns to on sign-out."""
    OIDC_CLIENT_ID: str | None = None
    """The console's client at the identity provider (``AUTH_MODE=oidc``)."""
    OIDC_CLIENT_SECRET: SecretStr | None = None
    """Its secret, sent to the token endpoint (``client_secret_post``)."""
    OIDC_SCOPES: str = "openid email given_name usual_name"
    """ProConnect's scopes for a name and an address; add the one carrying the roles claim if
    the provider needs one."""
    OIDC_DISCOVERY_URL: str | None = None
    """Default: ``OIDC_ISSUER`` + ``/.well-known/openid-configuration``."""
    OIDC_PROVIDER_NAME: str = "ProConnect"
    """Shown on the sign-in button."""

    @model_validator(mode="after")
    def _refuse_dev_session_secret_in_production(self) -> Self:
        if (
            self.ENVIRONMENT == Environment.PRODUCTION
            and self.CONSOLE_SESSION_SECRET.get_secret_value() == DEV_SESSION_SECRET
        ):
            raise ValueError("CONSOLE_SESSION_SECRET must be set to a real secret in production")
        if self.AUTH_MODE == AuthMode.OIDC and not self.OIDC_CLIENT_ID:
            raise ValueError("AUTH_MODE=oidc needs OIDC_CLIENT_ID (the console's client)")
        if self.ENVIRONMENT == Environment.PRODUCTION and not self.CONSOLE_PUBLIC_URL.startswith(
            "https://"
        ):
            raise ValueError("CONSOLE_PUBLIC_URL must be https in production (the OIDC redirect)")
        return self
