"""Intake's public pages in Chromium, served in-process by uvicorn with the promotion faked:
axe finds nothing in French or English, the language switch and the skip links work, and
the pages need no JavaScript. The application journeys, on the whole stack, come later."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page

from services.intake.app import create_app
from tests.browser import (
    PageWatch,
    assert_accessible,
    assert_drawn_in_marianne,
    screenshot,
    served,
)
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass
class Site:
    base_url: str
    calendar: InMemoryPromotionCalendar


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    calendar = InMemoryPromotionCalendar(sample_outlook())
    intake = await intake_with_pages(tmp_path_factory.mktemp("pages") / "eig.db", calendar)
    try:
        async with served(create_app(intake=intake)) as base_url:
            yield Site(base_url, calendar)
    finally:
        await intake.engine.dispose()


@pytest.fixture
async def without_javascript(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(java_script_enabled=False)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def shows_cleanly(page: Page, url: str, name: str, status: int = 200) -> None:
    """Open ``url``: its status, no CSP refusal nor failed asset, axe finds nothing."""
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == status
    await screenshot(page, name)
    await assert_accessible(page)
    assert watch.problems == []


class TestLanding:
    async def test_in_french_with_the_design_system_s_font(self, page: Page, site: Site) -> None:
        await shows_cleanly(page, f"{site.base_url}/", "intake-landing-fr")
        assert await page.evaluate("document.documentElement.lang") == "fr"
        await assert_drawn_in_marianne(page, "h1", "main p")
        # DSFR's script ran under our Content-Security-Policy (it marks the root when it does).
        assert await page.evaluate("document.documentElement.dataset.frJs") == "true"
        await page.get_by_role("link", name="Candidater").wait_for()
        await page.get_by_role("link", name="Déposer un projet").wait_for()

    async def test_in_english(self, page: Page, site: Site) -> None:
        await shows_cleanly(page, f"{site.base_url}/?lang=en", "intake-landing-en")
        await page.get_by_role("heading", name="Who may apply?").wait_for()

    async def test_on_a_phone_where_the_menu_holds_the_language_switch(
        self, browser: Browser, site: Site
    ) -> None:
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        try:
            page = await context.new_page()
            await shows_cleanly(page, f"{site.base_url}/", "intake-landing-phone")
            await page.get_by_role("button", name="Menu").click()
            await page.locator("#header-menu").get_by_role("link", name="English").click()
            await page.get_by_role("heading", name="Who may apply?").wait_for()
        finally:
            await context.close()


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accessibilite", "Déclaration d’accessibilité"),
        ("/mentions-legales", "Mentions légales"),
        ("/donnees-personnelles", "Données personnelles"),
    ],
)
async def test_legal_pages(page: Page, site: Site, path: str, heading: str) -> None:
    # In French: their English text is checked, as every page's, over HTTP (unit tests).
    await shows_cleanly(page, f"{site.base_url}{path}", f"intake{path}")
    await page.get_by_role("heading", level=1, name=heading).wait_for()


async def test_the_404_page(page: Page, site: Site) -> None:
    await shows_cleanly(page, f"{site.base_url}/nulle-part", "intake-404", status=404)
    await page.get_by_role("heading", name="Page non trouvée").wait_for()


async def test_the_language_switch_works_without_javascript_and_is_remembered(
    without_javascript: Page, site: Site
) -> None:
    page = without_javascript
    await page.goto(f"{site.base_url}/mentions-legales")
    await page.get_by_role("banner").get_by_role("link", name="English").click()
    await page.get_by_role("heading", level=1, name="Legal notice").wait_for()
    assert page.url.endswith("/mentions-legales?lang=en")
    await page.get_by_role("contentinfo").get_by_role("link", name="Personal data").click()
    await page.get_by_role("heading", level=1, name="Personal data").wait_for()
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.get_by_role("banner").get_by_role("link", name="Français").click()
    await page.get_by_role("heading", level=1, name="Données personnelles").wait_for()


async def test_the_skip_link_takes_the_keyboard_to_the_content(page: Page, site: Site) -> None:
    await page.goto(f"{site.base_url}/")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Contenu")
    assert await skip.evaluate("link => link === document.activeElement")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "content"
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Candidater"  # the first link of the content, past the header
