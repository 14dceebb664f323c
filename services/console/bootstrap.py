"""Wires the console once, from settings; tests pass a fake staff API."""

from dataclasses import dataclass

from libs.config import AuthMode, Environment
from services.console.sessions import SessionCookies
from services.console.settings import ConsoleSettings
from services.console.staff_api import HttpStaffApi, StaffApi


@dataclass
class Console:
    """Everything the console's pages use; built by :func:`bootstrap`."""

    settings: ConsoleSettings
    api: StaffApi
    cookies: SessionCookies

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
    )
