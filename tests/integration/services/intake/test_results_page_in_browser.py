"""The public results page in Chromium, served in-process by uvicorn: axe finds nothing, empty
or filled, in French or English; the promotion selector works without JavaScript."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from services.intake.app import create_app
from services.intake.bootstrap import Intake
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)
from tests.unit.services.intake.results_events import promotion_story
from tests.unit.services.intake.test_public_results import tell

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    intake = await intake_with_pages(
        tmp_path / "eig.db", InMemoryPromotionCalendar(sample_outlook())
    )
    try:
        yield intake
    finally:
        await intake.engine.dispose()


@pytest.fixture
async def base_url(intake: Intake) -> AsyncIterator[str]:
    async with served(create_app(intake=intake)) as url:
        yield url


async def shows_cleanly(page: Page, url: str, name: str) -> None:
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    await screenshot(page, name)
    await assert_accessible(page)
    assert watch.problems == []


async def test_empty(page: Page, base_url: str) -> None:
    await shows_cleanly(page, f"{base_url}/resultats", "results-empty")
    await page.get_by_role("heading", level=1, name="Résultats du programme").wait_for()
    await page.get_by_text("Aucun dossier reçu pour l’instant.").wait_for()


async def test_filled_in_french_and_english(page: Page, intake: Intake, base_url: str) -> None:
    await tell(intake, promotion_story())
    await tell(intake, promotion_story(promotion=6))

    await shows_cleanly(page, f"{base_url}/resultats", "results-page")
    table = page.get_by_role("table", name="Dossiers reçus par mois et par type, promotion 7")
    assert await table.get_by_role("rowheader").all_inner_texts() == ["mars 2026", "avril 2026"]
    chart = page.get_by_role(
        "img", name="Dossiers reçus par mois (les valeurs sont dans le tableau)"
    )
    await chart.wait_for()
    projects = page.get_by_role("table", name="Projets retenus, promotion 7")
    await projects.get_by_role("rowheader", name="Signaux faibles").wait_for()

    await shows_cleanly(page, f"{base_url}/resultats?lang=en", "results-page-en")
    await page.get_by_role(
        "table", name="EIG recruited per role and pay band, promotion 7"
    ).wait_for()


async def test_the_promotion_selector_works_without_javascript(
    browser: Browser, intake: Intake, base_url: str
) -> None:
    await tell(intake, promotion_story(promotion=6))
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(f"{base_url}/resultats")
        await page.get_by_label("Promotion", exact=True).select_option("6")
        await page.get_by_role("button", name="Afficher").click()
        await page.get_by_role("heading", name="Promotion 6 en chiffres").wait_for()
        assert page.url.endswith("/resultats?promotion=6")
        await page.get_by_role("link", name="English").first.click()
        await page.get_by_role("heading", name="Promotion 6 in figures").wait_for()
    finally:
        await context.close()
