"""The user's own access token, end to end: a staff member signs in to the console through
the real test provider, and the console calls the real selection API (served over HTTP, in
``AUTH_MODE=oidc``), which checks that opaque token with the provider's userinfo endpoint."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import SQLModel
from starlette.requests import Request

from deploy.local.engines import free_port
from libs.config import Environment
from services.console.app import create_app as create_console
from services.console.bootstrap import Console
from services.console.bootstrap import bootstrap as bootstrap_console
from services.console.sessions import SESSION_COOKIE
from services.selection.app import create_app as create_selection
from services.selection.bootstrap import Selection
from services.selection.bootstrap import bootstrap as bootstrap_selection
from services.selection.settings import SelectionSettings
from tests.browser import served
from tests.oidc_provider import OidcProvider, sign_in_with_httpx
from tests.unit.services.console.conftest import PAGE, console_settings
from tests.unit.services.selection.conftest import FakeDossierWorkflows, seed_candidate

pytestmark = pytest.mark.integration

CONSOLE_URL = "http://console.test"


@dataclass
class Stack:
    selection: Selection
    api_url: str
    console: httpx.AsyncClient
    parts: Console


@pytest.fixture
async def stack(provider: OidcProvider, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    selection = bootstrap_selection(
        SelectionSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATABASE_URL=sqlite_url,
            DATA_DIR=tmp_path,
            SELECTION_READ_MODEL_ENABLED=False,
            **provider.api_settings(),
        ),
        dossier_workflows=FakeDossierWorkflows(),
    )
    async with selection.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    port = free_port()
    async with served(create_selection(selection=selection), port=port) as api_url:
        settings = console_settings(
            tmp_path,
            **provider.console_settings(CONSOLE_URL),
            SELECTION_API_URL=api_url,
            CONTRACTS_API_URL=api_url,
        )
        parts = bootstrap_console(settings)  # the real HTTP staff API client
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_console(console=parts)),
            base_url=CONSOLE_URL,
            headers=PAGE,
        ) as console:
            yield Stack(selection, api_url, console, parts)
        await parts.stop()
    await selection.engine.dispose()


async def test_the_console_lists_dossiers_with_the_user_s_own_provider_token(
    stack: Stack,
) -> None:
    dossier_id = await seed_candidate(stack.selection)

    signed_in = await sign_in_with_httpx(stack.console, "camille", next_path="/console/dossiers")
    assert signed_in.status_code == 303
    page = await stack.console.get("/console/dossiers")

    assert page.status_code == 200
    assert str(dossier_id) in page.text


async def test_the_api_refuses_a_token_the_provider_does_not_know_and_a_missing_role(
    stack: Stack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10) as client:
        forged = await client.get(
            "/api/v1/dossiers", headers={"Authorization": "Bearer not-a-token-of-the-provider"}
        )
        assert forged.status_code == 401

        await sign_in_with_httpx(stack.console, "camille")
        assert SESSION_COOKIE in stack.console.cookies
        # A staff member's token is refused what only admins may do.
        token = await _token_of(stack)
        answer = await client.get(
            "/api/v1/operations/status", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 403


async def _token_of(stack: Stack) -> str:
    """The provider's access token the console's session carries."""
    cookie = f"{SESSION_COOKIE}={stack.console.cookies[SESSION_COOKIE]}".encode()
    request = Request({"type": "http", "headers": [(b"cookie", cookie)]})
    session = stack.parts.cookies.read(request)
    assert session is not None
    return str(session.token)
