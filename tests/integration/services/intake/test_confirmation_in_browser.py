"""The e-mail address confirmation pages in Chromium, served in-process by uvicorn (the
promotion faked): the button confirms without JavaScript (a form post, its 303 back to the
page), a second press says the link was used, an expired or wrong link gets its clear page;
axe finds nothing on any of them (docs/adr/0024)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from playwright.async_api import Browser, Page
from sqlmodel import select

from libs.dossier_links import confirm_url
from libs.outbox.models import OutboxMessage
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.repository import is_submission
from services.intake.service_layer import purge_unconfirmed
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass(frozen=True)
class Site:
    base_url: str
    intake: Intake

    async def applied(self, path: str = CANDIDATES) -> tuple[UUID, str]:
        """A new application, unconfirmed, and the link of its confirmation request."""
        body = candidate_body() if path == CANDIDATES else project_body()
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            response = await client.post(path, json=body)
        assert response.status_code == 202
        dossier_id = UUID(response.json()["dossier_id"])
        return dossier_id, confirm_url(self.base_url, self.intake.link_keys, dossier_id)

    async def submissions_of(self, dossier_id: UUID) -> int:
        async with self.intake.sessions() as session:
            statement = select(OutboxMessage).where(OutboxMessage.key == str(dossier_id))
            rows = (await session.exec(statement)).all()
        return len([row for row in rows if is_submission(row)])


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    intake = await intake_with_pages(
        tmp_path_factory.mktemp("confirm") / "eig.db",
        InMemoryPromotionCalendar(sample_outlook()),
    )
    try:
        async with served(create_app(intake=intake)) as base_url:
            yield Site(base_url, intake)
    finally:
        await intake.engine.dispose()


async def shown(page: Page, url: str, status: int, name: str) -> None:
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == status
    await screenshot(page, name)
    await assert_accessible(page)
    assert watch.problems == []


async def test_the_page_shows_the_deadline_and_the_button_in_french_and_in_english(
    page: Page, site: Site
) -> None:
    _, link = await site.applied()

    await shown(page, link, 200, "intake-confirm-email")
    await page.get_by_role("heading", level=1, name="Confirmer votre adresse e-mail").wait_for()
    await page.get_by_text("la candidature sera supprimée").wait_for()
    await page.get_by_role("button", name="Confirmer mon adresse e-mail").wait_for()

    await shown(page, f"{link}&lang=en", 200, "intake-confirm-email-en")
    await page.get_by_role("button", name="Confirm my e-mail address").wait_for()


async def test_the_confirmed_and_already_used_pages_are_accessible(page: Page, site: Site) -> None:
    _, link = await site.applied()
    watch = PageWatch(page)
    await page.goto(link)

    await page.get_by_role("button", name="Confirmer mon adresse e-mail").click()

    await page.get_by_role("heading", level=1, name="Votre adresse e-mail est confirmée").wait_for()
    await screenshot(page, "intake-email-confirmed")
    await assert_accessible(page)
    await page.goto(link)
    await page.get_by_role("heading", level=1, name="Ce lien a déjà été utilisé").wait_for()
    await screenshot(page, "intake-email-already-confirmed")
    await assert_accessible(page)
    assert watch.problems == []


async def test_without_javascript_the_button_confirms_once_then_the_link_says_it_was_used(
    browser: Browser, site: Site
) -> None:
    dossier_id, link = await site.applied(PROJECTS)
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        watch = PageWatch(page)
        await page.goto(link)
        await page.get_by_role("button", name="Confirmer mon adresse e-mail").click()
        # axe needs scripts: the pages' accessibility is checked with them, above.
        await page.get_by_text("Votre adresse e-mail est confirmée").wait_for()
        assert page.url.endswith("&outcome=confirmed")
        await page.get_by_role("link", name="Suivre mon dossier").wait_for()

        # The e-mail's link opened again: the link says it was used.
        await page.goto(link)
        await page.get_by_text("Ce lien a déjà été utilisé").wait_for()
        assert watch.problems == []
    finally:
        await context.close()
    assert await site.submissions_of(dossier_id) == 1


async def test_a_double_click_confirms_once(browser: Browser, site: Site) -> None:
    dossier_id, link = await site.applied()
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(link)
        await page.get_by_role("button", name="Confirmer mon adresse e-mail").dblclick()
        await (
            page.get_by_text("Ce lien a déjà été utilisé")
            .or_(page.get_by_text("Votre adresse e-mail est confirmée"))
            .wait_for()
        )
    finally:
        await context.close()
    assert await site.submissions_of(dossier_id) == 1


async def test_an_expired_link_gets_a_clear_page_that_leads_to_the_forms(
    page: Page, site: Site
) -> None:
    dossier_id, link = await site.applied()
    await purge_unconfirmed(site.intake.sessions, now=datetime.now(UTC) + timedelta(days=4))

    await shown(page, link, 410, "intake-confirm-email-expired")

    await page.get_by_role("heading", level=1, name="Ce lien de confirmation a expiré").wait_for()
    await page.get_by_role("link", name="Candidater").wait_for()
    assert await site.submissions_of(dossier_id) == 0


async def test_a_wrong_link_is_the_clear_404_page(page: Page, site: Site) -> None:
    _, link = await site.applied()

    await shown(page, link[:-2] + "xx", 404, "intake-confirm-email-not-found")
