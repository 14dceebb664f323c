"""The console over the in-memory staff API, signed in through the development sign-in."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.auth import DevTokenVerifier
from libs.config import Environment
from services.console.app import create_app
from services.console.bootstrap import Console, bootstrap
from services.console.pages import CONSOLE_CSRF_COOKIE
from services.console.settings import ConsoleSettings
from tests.unit.services.console.fakes import FakeStaffApi

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BASE_URL = "http://console.test"


def console_settings(data_dir: Path, **overrides: Any) -> ConsoleSettings:
    values: dict[str, Any] = {"ENVIRONMENT": Environment.TEST, "DATA_DIR": data_dir, **overrides}
    return ConsoleSettings(_env_file=None, **values)


@pytest.fixture
def api(tmp_path: Path) -> FakeStaffApi:
    return FakeStaffApi(verifier=DevTokenVerifier(tmp_path / "dev-tokens.json"))


@pytest.fixture
def console(tmp_path: Path, api: FakeStaffApi) -> Console:
    return bootstrap(console_settings(tmp_path), api=api)


@pytest.fixture
async def browser(console: Console) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does, and says it wants pages."""
    transport = httpx.ASGITransport(app=create_app(console=console))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=PAGE) as client:
        yield client


def csrf_token(browser: httpx.AsyncClient) -> str:
    """The token of the browser's CSRF cookie: every form of the page carries the same."""
    return str(browser.cookies[CONSOLE_CSRF_COOKIE])


async def sign_in(
    browser: httpx.AsyncClient, *, name: str = "Camille Martin", role: str = "staff"
) -> httpx.Response:
    await browser.get("/console/connexion")
    return await browser.post(
        "/console/connexion",
        data={
            "csrf_token": csrf_token(browser),
            "name": name,
            "role": role,
            "suivant": "/console/",
        },
    )


async def post_form(
    browser: httpx.AsyncClient, page_path: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Post ``data`` to ``action`` with the CSRF token of the page at ``page_path``."""
    await browser.get(page_path)
    return await browser.post(action, data={"csrf_token": csrf_token(browser), **data})
