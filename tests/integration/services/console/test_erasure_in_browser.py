"""The dossier page's erasure (RGPD) in Chromium, over the in-memory staff API: axe finds
nothing with the confirmation open and its error shown, and the erasure works with the
keyboard alone."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page

from libs.auth import DevTokenVerifier
from libs.messages.dossier_events import DossierStatus
from services.console.app import create_app
from services.console.bootstrap import bootstrap
from services.selection.schemas import DossierSummary
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.unit.services.console.conftest import console_settings
from tests.unit.services.console.fakes import FakeStaffApi, summary

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass
class Site:
    base_url: str
    api: FakeStaffApi
    dossier: DossierSummary


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    api = FakeStaffApi(verifier=DevTokenVerifier(tmp_path / "dev-tokens.json"))
    dossier = summary("Ada", status=DossierStatus.WITHDRAWN)
    api.dossiers = [dossier]
    async with served(create_app(console=bootstrap(console_settings(tmp_path), api=api))) as url:
        yield Site(url, api, dossier)


async def test_the_erasure_passes_axe_and_works_from_the_keyboard(page: Page, site: Site) -> None:
    watch = PageWatch(page)
    path = f"/console/dossiers/{site.dossier.dossier_id}"
    await page.goto(f"{site.base_url}/console/connexion?suivant={path}")
    await page.get_by_label("Nom affiché").fill("Dominique Admin")
    await page.locator("label", has_text="Administrateur ou administratrice").click()
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{site.base_url}{path}")

    summary_line = page.locator("#erasure summary")
    await summary_line.focus()
    await page.keyboard.press("Enter")  # opens the confirmation
    await page.get_by_role("button", name="Effacer définitivement").click()
    await page.locator("#field-erasure-reason-message-error").wait_for()
    await screenshot(page, "console-erasure-reason-required")
    await assert_accessible(page)
    assert site.api.erasures == []

    await page.get_by_label("Raison (la demande et sa référence)").focus()
    await page.keyboard.type("Demande du 2 décembre, réf. 42")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the erase button
    await page.wait_for_url(f"{site.base_url}{path}?fait=effacement")

    await assert_accessible(page)
    assert site.api.erasures == [(site.dossier.dossier_id, "Demande du 2 décembre, réf. 42")]
    assert watch.problems == []
