"""The two application forms in Chromium, served in-process by uvicorn (the broker and
Temporal are not needed to accept an application): axe finds nothing on the forms empty, with
errors and on the confirmation page; a form can be filled with the keyboard alone; the draft
survives a reload and is forgotten once the form is sent; without JavaScript it all works."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page
from sqlmodel import select

from libs.database import transaction
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.models import Application
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.browser_forms import LONG_TEXT, fill_candidate, fill_project_but_profiles, tick
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass
class Site:
    base_url: str
    intake: Intake

    async def titles(self) -> list[str]:
        async with transaction(self.intake.sessions) as session:
            rows = await session.exec(select(Application))
            return sorted(application.title for application in rows.all())


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    calendar = InMemoryPromotionCalendar(sample_outlook())
    intake = await intake_with_pages(tmp_path_factory.mktemp("forms") / "eig.db", calendar)
    try:
        async with served(create_app(intake=intake)) as base_url:
            yield Site(base_url, intake)
    finally:
        await intake.engine.dispose()


async def open_cleanly(page: Page, url: str, name: str) -> PageWatch:
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    await screenshot(page, name)
    await assert_accessible(page)
    return watch


class TestCandidateForm:
    async def test_an_error_is_shown_tied_to_its_field_then_corrected(
        self, page: Page, site: Site
    ) -> None:
        watch = await open_cleanly(page, f"{site.base_url}/candidater", "intake-candidate-form")
        await fill_candidate(page, email="camille.martin@")
        await page.get_by_role("button", name="Envoyer").click()
        summary = page.locator("#error-summary")
        await summary.wait_for()
        await screenshot(page, "intake-candidate-form-errors")
        await assert_accessible(page)
        email = page.get_by_label("Adresse électronique")
        assert await email.get_attribute("aria-invalid") == "true"
        described = await email.get_attribute("aria-describedby")
        message = page.locator(f"#{described}")
        assert "adresse électronique valide" in await message.inner_text()
        assert await page.get_by_label("Votre expérience entrepreneuriale").input_value() == (
            LONG_TEXT
        )
        await summary.get_by_role("link").click()
        assert await page.evaluate("document.activeElement.id") == "field-email"

        await email.fill("camille.martin@example.fr")
        assert await page.get_by_label("J’accepte que les informations").is_checked()  # kept
        await page.get_by_role("button", name="Envoyer").click()
        await page.locator("#reference").wait_for()
        assert "/candidater/confirmation/" in page.url
        await screenshot(page, "intake-candidate-sent")
        await assert_accessible(page)
        assert watch.problems == []

    async def test_it_can_be_filled_with_the_keyboard_alone(self, page: Page, site: Site) -> None:
        await page.goto(f"{site.base_url}/candidater?lang=en")
        await page.get_by_label("Given name").focus()
        typed = ["Ada", "Lovelace", "ada@example.fr"]
        for text in typed:
            await page.keyboard.type(text)
            await page.keyboard.press("Tab")
        # The language radios: the checked one (English, from the page) has the focus.
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")  # the first role: product director
        await page.keyboard.press("Tab")
        await page.keyboard.type("20")
        await page.keyboard.press("Tab")
        await page.keyboard.type(LONG_TEXT)
        await page.keyboard.press("Tab")  # motivation (optional)
        await page.keyboard.press("Tab")  # links (optional)
        await page.keyboard.press("Tab")  # the personal data link
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")  # consent
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "Send"
        await page.keyboard.press("Enter")
        await page.locator("#reference").wait_for()
        assert await page.get_by_role("heading", level=1).inner_text() == (
            "Your application is sent"
        )

    async def test_the_draft_survives_a_reload_and_goes_once_sent(
        self, page: Page, site: Site
    ) -> None:
        await page.goto(f"{site.base_url}/candidater")
        await page.locator("#draft-status").wait_for()  # shown once the module runs
        await page.get_by_label("Votre expérience entrepreneuriale").fill(LONG_TEXT)
        await page.get_by_label("Prénom").fill("Camille")
        await page.reload()
        assert await page.get_by_label("Votre expérience entrepreneuriale").input_value() == (
            LONG_TEXT
        )
        assert await page.get_by_label("Prénom").input_value() == "Camille"
        await fill_candidate(page)
        await page.get_by_role("button", name="Envoyer").click()
        await page.locator("#reference").wait_for()
        await page.goto(f"{site.base_url}/candidater")
        assert await page.get_by_label("Votre expérience entrepreneuriale").input_value() == ""
        stored = await page.evaluate("Object.keys(localStorage)")
        assert stored == []


class TestProjectForm:
    async def test_it_is_sent_without_javascript(self, browser: Browser, site: Site) -> None:
        context = await browser.new_context(java_script_enabled=False)
        try:
            page = await context.new_page()
            # axe runs as a script: it checks this form with JavaScript, in the next test.
            watch = PageWatch(page)
            await page.goto(f"{site.base_url}/deposer-un-projet")
            await fill_project_but_profiles(page, title="Signaux faibles, sans JavaScript")
            await page.get_by_role("button", name="Envoyer").click()
            await page.locator("#error-summary").wait_for()  # no profile chosen
            assert "Profils recherchés" in await page.locator("#error-summary").inner_text()
            await tick(page, "Directeur ou directrice de produit")
            await page.get_by_role("button", name="Envoyer").click()
            await page.locator("#reference").wait_for()
            assert "Signaux faibles, sans JavaScript" in await site.titles()
            assert watch.problems == []
        finally:
            await context.close()

    async def test_empty_and_with_errors_axe_finds_nothing(self, page: Page, site: Site) -> None:
        watch = await open_cleanly(
            page, f"{site.base_url}/deposer-un-projet", "intake-project-form"
        )
        await page.get_by_role("button", name="Envoyer").click()
        await page.locator("#error-summary").wait_for()
        await screenshot(page, "intake-project-form-errors")
        await assert_accessible(page)
        links = page.locator("#error-summary").get_by_role("link")
        assert await links.count() == 13  # every required field, consent included
        assert watch.problems == []
