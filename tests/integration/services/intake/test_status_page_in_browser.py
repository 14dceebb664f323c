"""The applicant's status page in Chromium, served in-process by uvicorn (the promotion and
the dossier workflow faked): axe finds nothing in several states, and the withdrawal goes
through its confirmation step without JavaScript."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from playwright.async_api import Browser, Page

from libs.dossier_links import withdraw_url
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.read_model import record_dossier_event
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.unit.services.intake.fakes import FakeDossierWorkflows
from tests.unit.services.intake.forms import (
    CANDIDATES,
    PROJECTS,
    candidate_body,
    confirm_email,
    project_body,
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
    intake: Intake
    workflows: FakeDossierWorkflows

    async def submitted(self, kind: DossierKind) -> tuple[UUID, str]:
        """A new dossier and its private link, as the API accepts one."""
        path, body = (
            (CANDIDATES, candidate_body())
            if kind == DossierKind.CANDIDATE
            else (PROJECTS, project_body())
        )
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            response = await client.post(path, json=body)
            assert response.status_code == 202
            dossier_id = UUID(response.json()["dossier_id"])
            confirmed = await confirm_email(client, self.intake.link_keys, dossier_id)
            assert confirmed.status_code == 303
        # The withdraw link of the e-mail (it shows the withdrawal), built as notifications do.
        return dossier_id, withdraw_url(self.base_url, self.intake.link_keys, dossier_id)

    async def reached(self, dossier_id: UUID, kind: DossierKind, status: DossierStatus) -> None:
        await record_dossier_event(
            self.intake.sessions,
            DossierStatusChanged(
                dossier_id=dossier_id,
                occurred_at=datetime.now(UTC),
                kind=kind,
                status=status,
                title="technical_director" if kind == DossierKind.CANDIDATE else "Un projet",
                contact=Contact(name="Camille Martin", email="camille.martin@example.fr"),
                note="Dossier complet, merci.",
            ),
        )


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    workflows = FakeDossierWorkflows()
    intake = await intake_with_pages(
        tmp_path_factory.mktemp("status") / "eig.db",
        InMemoryPromotionCalendar(sample_outlook()),
        dossier_workflows=workflows,
    )
    try:
        async with served(create_app(intake=intake)) as base_url:
            yield Site(base_url, intake, workflows)
    finally:
        await intake.engine.dispose()


async def shows_cleanly(page: Page, url: str, name: str) -> None:
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == 200
    await screenshot(page, name)
    await assert_accessible(page)
    assert watch.problems == []


@pytest.mark.parametrize(
    ("kind", "status", "name"),
    [
        (DossierKind.CANDIDATE, DossierStatus.RECEIVED, "candidate-received"),
        (DossierKind.CANDIDATE, DossierStatus.INTERVIEW, "candidate-interview"),
        (DossierKind.PROJECT, DossierStatus.ELIGIBLE, "project-eligible"),
        (DossierKind.PROJECT, DossierStatus.NOT_SELECTED, "project-not-selected"),
    ],
)
async def test_the_page_in_several_states_is_accessible(
    page: Page, site: Site, kind: DossierKind, status: DossierStatus, name: str
) -> None:
    dossier_id, url = await site.submitted(kind)
    if status != DossierStatus.RECEIVED:
        await site.reached(dossier_id, kind, status)

    await shows_cleanly(page, url, f"intake-status-{name}")

    await page.get_by_role("heading", level=1, name="Suivi de votre dossier").wait_for()


async def test_in_english_with_the_confirmation_step_opened(page: Page, site: Site) -> None:
    _, url = await site.submitted(DossierKind.CANDIDATE)
    await shows_cleanly(page, f"{url}&lang=en", "intake-status-en")
    await page.get_by_text("Withdraw my application…").click()
    await page.get_by_role("button", name="Confirm withdrawal").wait_for()
    await screenshot(page, "intake-status-withdraw-confirmation")
    await assert_accessible(page)


async def test_the_applicant_withdraws_through_the_confirmation_step_without_javascript(
    browser: Browser, site: Site
) -> None:
    dossier_id, url = await site.submitted(DossierKind.CANDIDATE)
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(url)
        confirm = page.get_by_role("button", name="Confirmer le retrait")
        assert not await confirm.is_visible()  # behind the confirmation step
        await page.get_by_text("Retirer mon dossier…").click()
        await confirm.click()
        await page.get_by_text("Votre demande de retrait est enregistrée").wait_for()
        await screenshot(page, "intake-status-withdrawal-recorded")
    finally:
        await context.close()
    withdrawals = [call for call in site.workflows.calls if call.dossier_id == dossier_id]
    assert [call.request.action for call in withdrawals] == ["withdraw"]


async def test_a_wrong_link_is_a_clear_accessible_page(page: Page, site: Site) -> None:
    _, url = await site.submitted(DossierKind.CANDIDATE)
    watch = PageWatch(page)

    response = await page.goto(url[:-2] + "xx")

    assert response is not None and response.status == 404
    await page.get_by_role("heading", level=1, name="Dossier introuvable").wait_for()
    await screenshot(page, "intake-status-not-found")
    await assert_accessible(page)
    assert watch.problems == []
