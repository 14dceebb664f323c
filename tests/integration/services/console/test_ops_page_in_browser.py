"""The console's operations page in Chromium, over the in-memory staff API: axe finds
nothing with a dead letter waiting and after it was replayed, and the replay works with the
keyboard alone. The same page on the whole stack is in tests/e2e/test_operations_status.py."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page

from libs.auth import DevTokenVerifier
from services.console.app import create_app
from services.console.bootstrap import bootstrap
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.console_pages import sign_in_for_development
from tests.unit.libs.operations.desks import poison
from tests.unit.services.console.conftest import console_settings
from tests.unit.services.console.fakes import FakeStaffApi

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass
class Site:
    base_url: str
    api: FakeStaffApi


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    api = FakeStaffApi(verifier=DevTokenVerifier(tmp_path / "dev-tokens.json"))
    api.desk.letters.append(poison(offset=3))
    async with served(create_app(console=bootstrap(console_settings(tmp_path), api=api))) as url:
        yield Site(url, api)


async def sign_in_as_admin(page: Page, console: str, name: str = "Dominique Admin") -> None:
    """The development sign-in as an admin, landing on the ops page of ``console``."""
    await sign_in_for_development(
        page, console, name, "Administrateur ou administratrice", next_path="/console/ops"
    )


async def test_the_ops_page_passes_axe_and_a_replay_works_from_the_keyboard(
    page: Page, site: Site
) -> None:
    watch = PageWatch(page)
    await sign_in_as_admin(page, site.base_url)
    await page.get_by_role("heading", name="DossierStatusChanged — 0:3").wait_for()
    await screenshot(page, "console-ops-dead-letter")
    await assert_accessible(page)

    await page.get_by_label("Raison (facultative)").focus()
    await page.keyboard.type("modèle corrigé")
    await page.keyboard.press("Enter")  # submits the replay form
    await page.wait_for_url(f"{site.base_url}/console/ops?fait=replay#dead-letters")

    await page.get_by_text("Le message a été republié sur son topic d’origine.").wait_for()
    assert await page.get_by_role("heading", name="DossierStatusChanged — 0:3").count() == 0
    history = page.locator("#ops-history")
    assert "Dominique Admin" in await history.inner_text()
    assert "modèle corrigé" in await history.inner_text()
    await screenshot(page, "console-ops-replayed")
    await assert_accessible(page)
    assert len(site.api.desk.replayed) == 1
    assert watch.problems == []


async def test_a_long_error_wraps_in_the_summary_instead_of_running_off_the_table(
    page: Page, site: Site
) -> None:
    """During a broker outage the summary names each unreadable source with its error: the
    person on call reads it whole, without scrolling the table sideways."""
    site.api.desk.kafka_error = (
        "KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 9092, "
        "<AddressFamily.AF_INET: 2>)] after every attempt of the admin client's metadata request"
    )
    await sign_in_as_admin(page, site.base_url)
    row = page.locator("#ops-summary-consumer_lag")
    assert "Unable to bootstrap" in await row.inner_text()
    region = page.locator("#ops-summary-component .fr-table__container")
    overflow = await region.evaluate("element => element.scrollWidth - element.clientWidth")
    await screenshot(page, "console-ops-unreadable")
    assert overflow <= 0
    await assert_accessible(page)
