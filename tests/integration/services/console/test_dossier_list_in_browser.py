"""The console's dossier list in Chromium over the real selection API (SQLite): pages by
cursor forward and back, the tabs' counts, a search; axe finds nothing (ADR 20)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Page
from sqlalchemy import insert
from sqlmodel import SQLModel

from bench.lists import seeded_rows
from libs.config import Environment
from services.console.app import create_app as create_console_app
from services.console.bootstrap import bootstrap as bootstrap_console
from services.console.staff_api import HttpStaffApi
from services.selection.app import create_app as create_selection_app
from services.selection.bootstrap import bootstrap as bootstrap_selection
from services.selection.models import StaffDossier
from services.selection.read_model import recount
from services.selection.settings import SelectionSettings
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.console_pages import sign_in_for_development
from tests.unit.services.console.conftest import console_settings
from tests.unit.services.selection.conftest import FakeDossierWorkflows

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DOSSIERS = 60


@pytest.fixture
async def console_url(sqlite_url: str, tmp_path: Path) -> AsyncIterator[str]:
    selection = bootstrap_selection(
        SelectionSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATABASE_URL=sqlite_url,
            DATA_DIR=tmp_path,
            SELECTION_READ_MODEL_ENABLED=False,
        ),
        dossier_workflows=FakeDossierWorkflows(),
    )
    async with selection.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
        table = StaffDossier.__table__  # type: ignore[attr-defined]
        await connection.execute(insert(table), seeded_rows(DOSSIERS, datetime.now(UTC)))
    await recount(selection.sessions)
    async with served(create_selection_app(selection=selection)) as selection_url:
        api = HttpStaffApi(selection_url=selection_url, contracts_url="http://127.0.0.1:9")
        console = bootstrap_console(console_settings(tmp_path), api=api)
        async with served(create_console_app(console=console)) as url:
            yield url
        await api.close()
    await selection.engine.dispose()


async def titles(page: Page) -> list[str | None]:
    """The listed dossiers, by their page's link (titles repeat: a candidate's is a role)."""
    links = page.locator("#dossier-table tbody td:nth-child(2) a")
    return [await link.get_attribute("href") for link in await links.all()]


async def test_the_list_pages_forward_and_back_by_cursor_and_passes_axe(
    page: Page, console_url: str
) -> None:
    watch = PageWatch(page)
    await sign_in_for_development(
        page,
        console_url,
        "Camille Martin",
        "Équipe du programme",
        next_path="/console/dossiers?tab=tous",
    )

    assert f"{DOSSIERS} dossier(s)" in await page.locator("#result-count").inner_text()
    first = await titles(page)
    assert len(first) == 25
    await screenshot(page, "console-dossiers-pages")
    await assert_accessible(page)

    await page.get_by_role("link", name="Page suivante").click()
    await page.wait_for_url("**curseur=**")
    second = await titles(page)
    assert len(second) == 25 and not set(second) & set(first)
    await page.get_by_role("link", name="Page suivante").click()
    await page.wait_for_url("**curseur=**")
    assert len(await titles(page)) == DOSSIERS - 50
    assert await page.get_by_role("link", name="Page suivante").get_attribute("href") is None

    await page.get_by_role("link", name="Page précédente").click()
    await page.wait_for_url("**curseur=**")
    assert await titles(page) == second
    await page.get_by_role("link", name="Première page").click()
    assert await titles(page) == first
    await assert_accessible(page)

    await page.get_by_label("Rechercher (nom, titre, administration)").fill("préfecture")
    await page.get_by_role("button", name="Filtrer").click()
    await page.wait_for_url("**q=pr%C3%A9fecture**")  # the filtered page, not the one leaving
    found = await titles(page)
    assert found and len(found) < 25
    assert f"{len(found)} dossier(s)" in await page.locator("#result-count").inner_text()
    assert watch.problems == []
