"""Wires the console once, from settings; tests pass a fake staff API."""

from dataclasses import dataclass

from libs.config import AuthMode, Environment
from services.console.oidc import OidcSignIn
from services.console.sessions import SessionCookies
from services.console.settings import ConsoleSettings
from services.console.staff_api import HttpStaffApi, StaffApi


@dataclass
class Console:
    """Everything the console's pages use; built by :func:`bootstrap`."""

    settings: ConsoleSettings
    api: StaffApi
    cookies: SessionCookies
    oidc: OidcSignIn | None = None
    """The identity provider's sign-in, in ``AUTH_MODE=oidc``."""

    @property
    def dev_sign_in(self) -> bool:
        """The development sign-in (pick a name and a role) exists in ``AUTH_MODE=dev`` only,
        which the settings refuse in production."""
        return self.settings.AUTH_MODE == AuthMode.DEV

    async def start(self) -> None:
        """Nothing to start: the API client connects on first use."""

    async def stop(self) -> None:
        if isinstance(self.api, HttpStaffApi):
            await self.api.close()


OIDC_CALLBACK_PATH = "/console/connexion/retour"


def oidc_sign_in(settings: ConsoleSettings) -> OidcSignIn | None:
    if settings.AUTH_MODE != AuthMode.OIDC:
        return None
    assert settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID  # checked by the settings
    secret = settings.OIDC_CLIENT_SECRET
    return OidcSignIn(
        issuer=settings.OIDC_ISSUER,
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=secret.get_secret_value() if secret else None,
        redirect_uri=settings.CONSOLE_PUBLIC_URL.rstrip("/") + OIDC_CALLBACK_PATH,
        scopes=settings.OIDC_SCOPES,
        roles_claim=settings.OIDC_ROLES_CLAIM,
        discovery_url=settings.OIDC_DISCOVERY_URL,
        timeout_seconds=settings.OIDC_FETCH_TIMEOUT_SECONDS,
        leeway_seconds=settings.OIDC_CLOCK_SKEW_SECONDS,
    )


def bootstrap(settings: ConsoleSettings, *, api: StaffApi | None = None) -> Console:
    return Console(
        settings=settings,
        api=api
        or HttpStaffApi(
            selection_url=settings.SELECTION_API_URL.rstrip("/"),
            contracts_url=settings.CONTRACTS_API_URL.rstrip("/"),
            timeout_seconds=settings.CONSOLE_API_TIMEOUT_SECONDS,
        ),
        cookies=SessionCookies.derived(
            settings.CONSOLE_SESSION_SECRET.get_secret_value(),
            idle_seconds=settings.CONSOLE_SESSION_IDLE_MINUTES * 60,
            secure=settings.ENVIRONMENT == Environment.PRODUCTION,
        ),
        oidc=oidc_sign_in(settings),
    )
