"""The EIG's offer page in Chromium, served in-process by uvicorn (the contract workflow
faked): axe finds nothing in each state (open, accepted, declined, lapsed, a wrong link), the
EIG accepts with the keyboard alone, and declines through the confirmation step without
JavaScript."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from sqlmodel import SQLModel

from libs.config import Environment
from libs.messages.contract_events import ContractStatus
from services.contracts.app import create_app
from services.contracts.bootstrap import Contracts, bootstrap
from services.contracts.settings import ContractsSettings
from services.notifications.addressing import contract_offer_url
from tests.browser import (
    PageWatch,
    assert_accessible,
    assert_drawn_in_marianne,
    screenshot,
    served,
)
from tests.unit.services.contracts.conftest import FakeContractWorkflows, seed
from tests.unit.services.contracts.events import ContractStory
from workflows.contract.models import ContractActionRequest, ContractActionResult

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ANSWERED = {"accept": ContractStatus.ACCEPTED, "decline": ContractStatus.DECLINED}


@dataclass
class AnsweringWorkflows(FakeContractWorkflows):
    """The fake workflow, moved to the answer's status as the real one would be."""

    async def apply_action(
        self, contract_id: uuid.UUID, request: ContractActionRequest, *, update_id: str
    ) -> ContractActionResult:
        self.calls.append((contract_id, request, update_id))
        status = ANSWERED[request.action]
        snapshot = self.snapshots[contract_id]
        self.snapshots[contract_id] = snapshot.model_copy(
            update={"status": status, "allowed_actions": [], "offer_expires_at": None}
        )
        return ContractActionResult(status=status, allowed_actions=[])


@dataclass
class Site:
    base_url: str
    contracts: Contracts
    workflows: AnsweringWorkflows

    async def offer(self, status: ContractStatus = ContractStatus.OFFER_SENT) -> ContractStory:
        story = await seed(self.contracts)
        self.workflows.knows(
            story, status, ["accept", "decline"] if status == ContractStatus.OFFER_SENT else []
        )
        return story

    def link(self, story: ContractStory) -> str:
        """The offer link of the e-mail, built as notifications builds it."""
        return contract_offer_url(
            self.base_url, self.contracts.link_keys, story.contract_id, story.dossier_id
        )


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("offer")
    settings = ContractsSettings(
        _env_file=None,
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL=f"sqlite:///{data_dir / 'eig.db'}",
        DATA_DIR=data_dir,
        CONTRACTS_READ_MODEL_ENABLED=False,
    )
    workflows = AnsweringWorkflows()
    contracts = bootstrap(settings, contract_workflows=workflows)
    async with contracts.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    try:
        async with served(create_app(contracts_service=contracts)) as base_url:
            yield Site(base_url, contracts, workflows)
    finally:
        await contracts.engine.dispose()


async def shows_cleanly(page: Page, url: str, name: str, status: int = 200) -> None:
    watch = PageWatch(page)
    response = await page.goto(url)
    assert response is not None and response.status == status
    await screenshot(page, name)
    await assert_accessible(page)
    assert watch.problems == []


@pytest.mark.parametrize(
    ("status", "name", "says"),
    [
        (ContractStatus.OFFER_SENT, "open", "Votre réponse est attendue"),
        (ContractStatus.ACCEPTED, "accepted", "Vous avez accepté cette offre"),
        (ContractStatus.DECLINED, "declined", "Vous avez décliné cette offre"),
        (ContractStatus.OFFER_EXPIRED, "lapsed", "Cette offre a expiré"),
    ],
)
async def test_the_page_in_each_state_is_accessible(
    page: Page, site: Site, status: ContractStatus, name: str, says: str
) -> None:
    story = await site.offer(status)

    await shows_cleanly(page, site.link(story), f"contracts-offer-{name}")

    await page.get_by_role("heading", level=1, name="Votre offre de contrat EIG").wait_for()
    await page.get_by_text(says).wait_for()


async def test_in_english_with_both_confirmation_steps_opened(page: Page, site: Site) -> None:
    story = await site.offer()
    await shows_cleanly(page, f"{site.link(story)}&lang=en", "contracts-offer-en")

    await page.get_by_text("Accept the offer…").click()
    await page.get_by_text("Decline the offer…").click()
    await page.get_by_role("button", name="Confirm acceptance").wait_for()
    await page.get_by_role("button", name="Confirm the decline").wait_for()
    await screenshot(page, "contracts-offer-confirmation-steps")
    await assert_accessible(page)


async def test_a_wrong_link_is_a_clear_accessible_page(page: Page, site: Site) -> None:
    story = await site.offer()
    wrong = site.link(story)[:-2] + "xx"

    await shows_cleanly(page, wrong, "contracts-offer-not-found", status=404)

    await page.get_by_role("heading", level=1, name="Contrat introuvable").wait_for()


async def test_the_eig_accepts_with_the_keyboard_alone(page: Page, site: Site) -> None:
    story = await site.offer()
    await page.goto(site.link(story))
    accept = page.get_by_text("Accepter l’offre…")
    confirm = page.get_by_role("button", name="Confirmer l’acceptation")

    # Tab from the top of the page to the confirmation step's summary, open it, then on to
    # its button: every control on the way is reachable and operable from the keyboard.
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await accept.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("the accept step cannot be reached with Tab")
    assert not await confirm.is_visible()
    await page.keyboard.press("Enter")
    await confirm.wait_for()
    await page.keyboard.press("Tab")
    assert await confirm.evaluate("element => element === document.activeElement")
    await page.keyboard.press("Enter")

    await page.get_by_text("Votre acceptation est enregistrée").wait_for()
    await screenshot(page, "contracts-offer-accepted-notice")
    await assert_accessible(page)
    [(contract_id, request, _)] = [
        call for call in site.workflows.calls if call[0] == story.contract_id
    ]
    assert (request.action, request.actor) == ("accept", "applicant")


async def test_the_eig_declines_with_a_reason_without_javascript(
    browser: Browser, site: Site
) -> None:
    story = await site.offer()
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(site.link(story))
        confirm = page.get_by_role("button", name="Confirmer le refus")
        assert not await confirm.is_visible()  # behind the confirmation step
        await page.get_by_text("Décliner l’offre…").click()
        await page.get_by_label("Motif (facultatif)").fill("J’ai accepté un autre poste")
        await confirm.click()
        await page.get_by_text("Votre refus est enregistré").wait_for()
    finally:
        await context.close()
    [(_, request, _)] = [call for call in site.workflows.calls if call[0] == story.contract_id]
    assert (request.action, request.payload) == ("decline", {"note": "J’ai accepté un autre poste"})


async def test_the_full_contract_opens_styled_and_accessible_from_the_page(
    page: Page, site: Site
) -> None:
    story = await site.offer()
    await page.goto(site.link(story))
    watch = PageWatch(page)  # the document's stylesheet loads, under the pages' CSP

    await page.get_by_role("link", name="Lire le contrat complet").click()

    await page.get_by_role("heading", level=1, name="Contrat de projet EIG").wait_for()
    border = await page.locator("table.terms td").first.evaluate(
        "cell => getComputedStyle(cell).borderBottomStyle"
    )
    assert border == "solid"  # document.css applied
    await assert_drawn_in_marianne(page, "h1", "table.terms td")
    await screenshot(page, "contracts-document")
    await assert_accessible(page)
    assert watch.problems == []
