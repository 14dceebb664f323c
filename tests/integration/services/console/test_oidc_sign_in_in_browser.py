"""The OIDC sign-in in Chromium against the real test provider: sign in through the
provider's form, sign out of the console and then of the provider, and a user without a role
shown the 403 page; axe finds nothing on the sign-in, signed-out and 403 pages."""

import re
from pathlib import Path

import pytest
from playwright.async_api import Page

from deploy.local.engines import free_port
from libs.auth import token_verifier
from services.console.app import create_app
from services.console.bootstrap import bootstrap
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.oidc_provider import OidcProvider, keep_the_provider_offline, sign_in_with_chromium
from tests.unit.services.console.conftest import console_settings
from tests.unit.services.console.fakes import FakeStaffApi

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_sign_in_and_out_through_the_provider_and_a_user_without_a_role(
    page: Page, provider: OidcProvider, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = console_settings(tmp_path, **provider.console_settings(url))
    api = FakeStaffApi(verifier=token_verifier(settings))
    async with served(create_app(console=bootstrap(settings, api=api)), port=port):
        watch = PageWatch(page)
        await keep_the_provider_offline(page)
        await page.goto(f"{url}/console/connexion")
        await screenshot(page, "console-oidc-sign-in")
        await assert_accessible(page)

        await sign_in_with_chromium(page, url, "camille", next_path="/console/dossiers")
        assert await page.locator("#signed-in-as").inner_text() == "Camille Martin"

        await page.locator("#sign-out").click()
        await page.get_by_role("heading", name="Vous êtes déconnecté de la console").wait_for()
        await screenshot(page, "console-oidc-signed-out")
        await assert_accessible(page)
        await page.locator("#end-provider-session").click()
        await page.get_by_role("button", name="End session").click()  # the provider's page
        await page.wait_for_url(f"{url}/console/connexion")
        await page.goto(f"{url}/console/")
        await page.wait_for_url(re.compile(re.escape(f"{url}/console/connexion?suivant=")))

        await page.get_by_role("link", name=re.compile("^Se connecter avec")).click()
        await page.locator("input[name=sub]").fill("sans-role")
        await page.get_by_role("button", name="Authorize").click()
        await page.get_by_role("heading", name="Aucun rôle dans la console").wait_for()
        await screenshot(page, "console-oidc-no-role")
        await assert_accessible(page)
        assert not [c for c in await page.context.cookies() if c["name"] == "eig_console"]
    assert watch.problems == []
