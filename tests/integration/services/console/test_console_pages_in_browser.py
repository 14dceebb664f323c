"""Issue 11 §5 in Chromium over the in-memory staff API (the whole path on the whole stack is
tests/e2e/test_contract_journey.py): an evaluator fills a scorecard, the jury's form says until
when it is closed before the cut-off, a bulk review shows each dossier's result, the CSV export
holds the filtered rows; axe finds nothing on every console page on the way (the sign-in, 403
and operations pages have their own tests beside this one)."""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page

from libs.auth import DevTokenVerifier
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.console.app import create_app
from services.console.bootstrap import bootstrap
from tests.browser import PageWatch, assert_accessible, screenshot, served
from tests.console_pages import label, sign_in_for_development
from tests.unit.services.console.conftest import console_settings
from tests.unit.services.console.fakes import FakeStaffApi, contract, summary
from tests.unit.services.console.test_selection_pages import a_round
from workflows.promotion.models import RoundState

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass
class Site:
    url: str
    api: FakeStaffApi


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    api = FakeStaffApi(verifier=DevTokenVerifier(tmp_path / "dev-tokens.json"))
    async with served(create_app(console=bootstrap(console_settings(tmp_path), api=api))) as url:
        yield Site(url, api)


async def visit(page: Page, url: str, name: str) -> None:
    """Open ``url``, keep its screenshot, and let axe check it."""
    await page.goto(url)
    await screenshot(page, name)
    await assert_accessible(page)


async def test_an_evaluator_fills_a_scorecard_and_the_jury_s_form_is_closed_before_the_cut_off(
    page: Page, site: Site
) -> None:
    watch = PageWatch(page)
    project = summary("Cartographier les tiers-lieux", kind=DossierKind.PROJECT)
    scheduled = summary(
        "Projet en session", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED
    )
    site.api.dossiers = [project, scheduled]
    site.api.allowed[scheduled.dossier_id] = ["record_decision"]
    site.api.rounds = [a_round(RoundState.OPEN, [scheduled.dossier_id])]

    await sign_in_for_development(page, site.url, "Eva Luation", "Évaluateur ou évaluatrice")
    await visit(page, f"{site.url}/console/evaluations", "console-evaluations")
    await page.get_by_role("link", name=project.title).click()
    await page.get_by_role("heading", name=f"Grille d’évaluation – {project.title}").wait_for()
    await assert_accessible(page)
    scorecard = page.locator("#scorecard-form")
    for criterion in await scorecard.locator("fieldset").all():
        await criterion.locator("label").filter(has_text=label("2 – satisfaisant")).click()
    await scorecard.get_by_label("Commentaire").fill("Problème avéré, sponsor engagé.")
    await scorecard.get_by_role("button", name="Enregistrer ma grille").click()
    await page.locator("#saved").wait_for()
    await screenshot(page, "console-scorecard-saved")
    await assert_accessible(page)
    [saved] = site.api.evaluations
    assert (saved.dossier_id, saved.comment) == (
        project.dossier_id,
        "Problème avéré, sponsor engagé.",
    )
    assert len(saved.scores) == 9 and set(saved.scores.values()) == {2}

    await sign_in_for_development(page, site.url, "Jeanne Jury", "Jury")
    await visit(page, f"{site.url}/console/rounds", "console-rounds")
    await page.get_by_role("link", name="7-project-2026-12").click()
    closed = page.locator(f"#decision-closed-{scheduled.dossier_id}")
    assert "fermé jusqu’à la date limite de la session" in await closed.inner_text()
    assert await page.locator(f"#decision-{scheduled.dossier_id}").count() == 0
    await screenshot(page, "console-round-closed")
    await assert_accessible(page)

    await sign_in_for_development(
        page, site.url, "Dominique Admin", "Administrateur ou administratrice"
    )
    await page.goto(f"{site.url}/console/rounds")
    await page.locator("#round-form").wait_for()  # admins create rounds there
    await assert_accessible(page)
    assert watch.problems == []


async def test_a_bulk_review_shows_each_result_and_the_csv_holds_the_filtered_rows(
    page: Page, site: Site
) -> None:
    watch = PageWatch(page)
    ada = summary("Ada Lovelace")
    grace = summary("Grace Hopper", status=DossierStatus.INTERVIEW)
    project = summary("Cartographier les tiers-lieux", kind=DossierKind.PROJECT)
    site.api.dossiers = [ada, grace, project]
    site.api.allowed[ada.dossier_id] = ["record_review"]
    site.api.allowed[grace.dossier_id] = ["record_interview"]
    site.api.contracts = [contract()]

    await sign_in_for_development(page, site.url, "Camille Martin", "Équipe du programme")
    await assert_accessible(page)  # the dashboard
    await visit(page, f"{site.url}/console/dossiers?tab=tous", "console-dossiers")
    await page.get_by_label("Type", exact=True).select_option("candidate")
    await page.get_by_role("button", name="Filtrer").click()
    await page.wait_for_url("**kind=candidate**")
    async with page.expect_download() as download:
        await page.locator("#csv-export").click()
    rows = list(csv.DictReader(io.StringIO(Path(await (await download.value).path()).read_text())))
    assert sorted(row["title"] for row in rows) == ["Ada Lovelace", "Grace Hopper"]

    for dossier in (ada, grace):
        box = page.get_by_role("checkbox", name=f"Sélectionner {dossier.title}")
        await box.focus()  # DSFR draws the box on its label: ticked from the keyboard
        await page.keyboard.press("Space")
        assert await box.is_checked()
    await page.get_by_label("Action", exact=True).select_option("record_review:shortlisted")
    await page.get_by_label("Note commune (visible par les demandeurs)").fill("Profil retenu")
    await page.locator("#bulk-submit").click()
    await page.locator("#bulk-summary").wait_for()
    assert "Appliquée" in str(await page.locator(f"#result-{ada.dossier_id}").text_content())
    refused = str(await page.locator(f"#result-{grace.dossier_id}").text_content())
    assert "Refusée" in refused and "refusée dans le statut interview" in refused
    await screenshot(page, "console-bulk-results")
    await assert_accessible(page)

    await visit(page, f"{site.url}/console/dossiers/{ada.dossier_id}", "console-dossier")
    await visit(page, f"{site.url}/console/matching", "console-matching")
    await visit(page, f"{site.url}/console/contracts", "console-contracts")
    await page.locator("#contract-table").get_by_role("link").first.click()
    await page.locator("#monthly-pay").wait_for()
    await screenshot(page, "console-contract")
    await assert_accessible(page)
    await visit(page, f"{site.url}/console/contracts/rapport-paie", "console-pay-report")
    assert watch.problems == []
