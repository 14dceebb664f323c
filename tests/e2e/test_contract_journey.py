"""A candidate selected through the selection flow is taken to a signed, renewed contract with
the documented requests alone (the EIG accepting in Chromium, on the offer page the offer's
e-mail links to); another one declines and gives the seat back.

Runs against the whole local stack (``python -m deploy.local``): staff tokens from
``dev-tokens.json``, the EIG's private links as the stack's e-mails carry them, e-mails in the
Maildir (the offer, the signed confirmation, the host's mission letter, the renewal decision).
"""

import email
import email.policy
import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
from playwright.async_api import Page

from libs.dossier_links import Purpose
from tests.browser import PageWatch, assert_accessible, screenshot
from tests.e2e.test_selection_journey import (
    Staff,
    candidate_form,
    project_form,
    subjects_to,
)
from tests.eventually import eventually
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "notifications" / "templates"


def subject(template: str) -> str:
    """The French subject of a notification template, before its placeholders."""
    text = (TEMPLATES / template / "fr.subject.txt").read_text(encoding="utf-8").strip()
    return text.split("{{")[0].strip()


@dataclass(frozen=True)
class Applicant:
    dossier_id: str
    address: str
    token: str


class Contracts:
    """The contracts API as staff, admins and the EIG call it."""

    def __init__(self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff) -> None:
        self.http = http
        self.root = stack.urls["contracts"]
        self.base = self.root + "/api/v1/contracts"
        self.headers = staff.headers

    async def of_dossier(self, dossier_id: str) -> dict[str, Any]:
        """The dossier's contract once the read model has it."""

        async def probe() -> dict[str, Any] | None:
            response = await self.http.get(
                self.base, params={"dossier_id": dossier_id}, headers=self.headers["staff"]
            )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            return items[0] if items else None

        found = await eventually(probe, timeout=30)
        assert found is not None
        return found

    async def detail(self, contract_id: str) -> dict[str, Any]:
        response = await self.http.get(f"{self.base}/{contract_id}", headers=self.headers["staff"])
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def act(
        self, contract_id: str, action: str, body: dict[str, Any], role: str = "staff"
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/{contract_id}/actions/{action}", json=body, headers=self.headers[role]
        )


async def apply(
    http: httpx.AsyncClient, stack: RunningStack, path: str, form: dict[str, Any]
) -> Applicant:
    body = await stack.apply(http, path, form)  # confirmed through the e-mail's link
    # The offer e-mail's link: the token that may answer the offer.
    token = stack.link_token(Purpose.ANSWER_OFFER, body["dossier_id"])
    return Applicant(body["dossier_id"], form.get("email") or form["contact_email"], token)


async def partnership_signed_project(
    http: httpx.AsyncClient, stack: RunningStack, staff: Staff
) -> Applicant:
    """A project selected in a short round, its partnership signed: open for matches."""
    project = await apply(
        http, stack, "projects", project_form(f"hote.{uuid.uuid4().hex[:8]}@example.fr")
    )
    await staff.reaches(project.dossier_id, "in_evaluation")
    round_id = await staff.add_short_round("contract")
    eligible = await staff.act(project.dossier_id, "record_evaluation", {"outcome": "eligible"})
    assert eligible.json()["status"] == "scheduled", eligible.text
    await staff.round_reaches(round_id, "deliberating")
    await staff.act(project.dossier_id, "record_defence", {"note": "Soutenance claire."})
    decision = await staff.decide(
        round_id, {"dossier_id": project.dossier_id, "decision": "selected"}
    )
    assert decision.status_code == 200, decision.text
    signed = await staff.act(project.dossier_id, "sign_partnership", {"signed_on": "2026-12-01"})
    assert signed.json()["status"] == "partnership_signed", signed.text
    return project


async def selected_candidate(
    http: httpx.AsyncClient, stack: RunningStack, staff: Staff, project: Applicant
) -> Applicant:
    form = candidate_form(f"eig.{uuid.uuid4().hex[:8]}@example.fr")
    candidate = await apply(http, stack, "candidates", form)
    await staff.reaches(candidate.dossier_id, "in_review")
    for action, body in (
        ("record_review", {"outcome": "shortlisted"}),
        ("record_interview", {"outcome": "pool"}),
        ("propose_match", {"project_dossier_id": project.dossier_id}),
        ("record_joint_interview", {"outcome": "selected"}),
    ):
        response = await staff.act(candidate.dossier_id, action, body)
        assert response.status_code == 200, (action, response.text)
    return candidate


async def mails_with(maildir: Path, address: str, expected: str) -> list[str]:
    async def probe() -> list[str]:
        found = subjects_to(maildir, address)
        return found if any(expected in found_subject for found_subject in found) else []

    subjects = await eventually(probe, timeout=30)
    assert subjects, f"no e-mail '{expected}' to {address}"
    return subjects


def offer_link(maildir: Path, address: str) -> str:
    """The offer page's link in the offer e-mail to ``address`` (its plain-text part)."""
    for path in (maildir / "new").glob("*"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec != address:
            continue
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found = re.search(r"https?://\S+/contracts/[0-9a-f-]{36}\?token=\S+", body.get_content())
        if found:
            return found.group(0)
    raise AssertionError(f"no offer link in the e-mails to {address}")


async def accept_on_the_offer_page(page: Page, link: str) -> None:
    """What the EIG does: open the e-mail's link, read, open the confirmation step, confirm."""
    watch = PageWatch(page)
    response = await page.goto(link)
    assert response is not None and response.status == 200
    await page.get_by_text("5 000,00 €").first.wait_for()
    await assert_accessible(page)
    await page.get_by_text("Accepter l’offre…").click()
    await page.get_by_role("button", name="Confirmer l’acceptation").click()
    await page.get_by_text("Votre acceptation est enregistrée").wait_for()
    await screenshot(page, "e2e-contract-offer-accepted")
    assert watch.problems == []


@pytest.fixture
def staff(stack: RunningStack, http: httpx.AsyncClient) -> Staff:
    return Staff(stack, http)


class TestContractJourney:
    async def test_a_selected_candidate_signs_a_contract_then_it_is_renewed(
        self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff, page: Page
    ) -> None:
        maildir = Path(stack.state["maildir"])
        contracts = Contracts(stack, http, staff)
        project = await partnership_signed_project(http, stack, staff)
        candidate = await selected_candidate(http, stack, staff, project)

        # Drafted on selection: 12 years of experience → the over-10-years band, 12 months.
        summary = await contracts.of_dossier(candidate.dossier_id)
        contract_id = summary["contract_id"]
        assert summary["contract_number"].startswith("EIG-7-")
        assert (summary["band"], summary["monthly_net_eur"]) == ("over_10_years", "5000.00")
        drafted = await contracts.detail(contract_id)
        assert drafted["terms"]["term_months"] == 12
        assert (
            drafted["terms"]["host_administration"] == project_form("x@x.fr")["administration_name"]
        )
        assert "send_offer" in drafted["allowed_actions"]

        # The offer: the EIG gets it by e-mail and answers through their private link.
        offer = await contracts.act(contract_id, "send_offer", {"note": "Bienvenue !"})
        assert offer.status_code == 200, offer.text
        assert offer.json()["status"] == "offer_sent"
        await mails_with(maildir, candidate.address, subject("contract_offer/candidate"))
        link = offer_link(maildir, candidate.address)
        assert link == f"{contracts.root}/contracts/{contract_id}?token={candidate.token}"
        wrong = await http.get(
            f"{contracts.root}/contracts/{contract_id}", params={"token": "x" * 43}
        )
        assert wrong.status_code == 404
        pdf = await http.get(
            f"{contracts.base}/{contract_id}/document.pdf", params={"token": candidate.token}
        )
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert summary["contract_number"] in text
        assert "5 000,00" in text and "60 000,00" in text and "6 000,00" in text
        await accept_on_the_offer_page(page, link)

        async def answer_recorded() -> dict[str, Any] | None:
            detail = await contracts.detail(contract_id)
            return detail if detail["timeline"][-1]["status"] == "accepted" else None

        accepted = await eventually(answer_recorded, timeout=30)
        assert accepted is not None
        assert accepted["status"] == "accepted"
        answer = accepted["timeline"][-1]
        assert (answer["action"], answer["actor"]) == ("accept", "applicant")

        # DINUM countersigns (admin only): the EIG is told, the host gets the mission letter.
        by_staff = await contracts.act(contract_id, "countersign", {})
        assert by_staff.status_code == 403
        signed = await contracts.act(contract_id, "countersign", {"note": "DINUM"}, "admin")
        assert signed.status_code == 200, signed.text
        assert signed.json()["status"] == "signed"
        await mails_with(maildir, candidate.address, subject("contract_signed/candidate"))
        await mails_with(maildir, project.address, subject("mission_letter/host"))

        # The renewal, decided ahead of the window: a new 12-month version follows the first.
        renewed = await contracts.act(contract_id, "decide_renewal", {"renew": True})
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["status"] == "renewed"
        again = await contracts.act(contract_id, "decide_renewal", {"renew": False})
        assert again.status_code == 409
        await mails_with(maildir, candidate.address, subject("contract_renewed/candidate"))

        async def next_terms_shown() -> dict[str, Any] | None:
            detail = await contracts.detail(contract_id)
            return detail if detail["next_terms"] is not None else None

        detail = await eventually(next_terms_shown, timeout=30)
        assert detail is not None
        assert detail["next_terms"]["version"] == 2
        assert detail["next_terms"]["start_on"] > detail["terms"]["end_on"]
        report = await http.get(
            stack.urls["contracts"] + "/api/v1/reports/pay", headers=staff.headers["staff"]
        )
        assert report.status_code == 200, report.text
        [seventh] = [line for line in report.json()["promotions"] if line["promotion_number"] == 7]
        bands = {line["band"]: line for line in seventh["bands"]}
        assert bands["over_10_years"]["contracts"] >= 1
        assert bands["over_10_years"]["check"]["identical"] is True

    async def test_a_declined_offer_gives_the_seat_back_and_the_candidate_returns_to_the_pool(
        self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff
    ) -> None:
        maildir = Path(stack.state["maildir"])
        contracts = Contracts(stack, http, staff)
        project = await partnership_signed_project(http, stack, staff)
        candidate = await selected_candidate(http, stack, staff, project)
        seats_with_candidate = await seats_taken(staff)
        contract_id = (await contracts.of_dossier(candidate.dossier_id))["contract_id"]
        await contracts.act(contract_id, "send_offer", {})

        declined = await http.post(
            f"{contracts.base}/{contract_id}/decline", params={"token": candidate.token}
        )

        assert declined.status_code == 200, declined.text
        assert declined.json()["status"] == "declined"
        await staff.reaches(candidate.dossier_id, "in_pool")

        async def back_in_pool_noted() -> bool:
            timeline = (await staff.dossier(candidate.dossier_id))["timeline"]
            return bool(timeline[-1]["outcome"] == "contract_declined")

        assert await eventually(back_in_pool_noted, timeout=30)
        assert await seats_taken(staff) == seats_with_candidate - 1
        await mails_with(maildir, candidate.address, subject("contract_declined/candidate"))


async def seats_taken(staff: Staff) -> int:
    response = await staff.http.get(f"{staff.base}/promotions", headers=staff.headers["staff"])
    taken: int = {item["number"]: item for item in response.json()}[7]["seats_taken"]
    return taken
