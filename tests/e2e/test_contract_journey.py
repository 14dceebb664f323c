"""Staff signed in to the console through the test OIDC provider take a project and a candidate
through selection to a signed, renewed contract in Chromium (the EIG accepting on the offer
page the offer's e-mail links to); another candidate declines and gives the seat back (through
the documented requests).

Runs against the whole local stack (``python -m deploy.local``): staff signed in and their API
tokens from the test provider (tests/e2e/conftest.py), the EIG's private links as the stack's
e-mails carry them, e-mails in the Maildir (the offer, the signed confirmation, the host's
mission letter, the renewal decision).
"""

import email
import email.policy
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
from playwright.async_api import Browser, Page

from libs.dossier_links import Purpose
from tests.browser import PageWatch, assert_accessible, screenshot
from tests.console_pages import (
    act,
    datetime_local,
    fill_and_send,
    shown_after_reloads,
    signed_in,
)
from tests.e2e.conftest import StaffHeaders
from tests.e2e.test_selection_journey import (
    SHORT_ROUND_CUTOFF_IN,
    Staff,
    candidate_form,
    project_form,
    subjects_to,
)
from tests.eventually import eventually
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "notifications" / "templates"


NOTE = "Note (visible par le demandeur)"
SIGNED_ON = "Date de signature"


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
def staff(stack: RunningStack, http: httpx.AsyncClient, staff_headers: StaffHeaders) -> Staff:
    return Staff(stack, http, staff_headers)


class TestContractJourney:
    async def test_staff_take_a_project_and_a_candidate_to_a_signed_contract_in_the_console(
        self,
        stack: RunningStack,
        http: httpx.AsyncClient,
        staff: Staff,
        browser: Browser,
        page: Page,
    ) -> None:
        """Issue 11 §5: staff signed in through the OIDC provider take a project to its signed
        partnership (through a short round the admin creates and the jury decides), a candidate
        to selected, and the contract to signed (the EIG accepting on the offer page, an admin
        countersigning), in the console's pages alone; axe on each page on the way."""
        maildir = Path(stack.state["maildir"])
        console = stack.urls["console"]
        contracts = Contracts(stack, http, staff)
        form = project_form(f"hote.{uuid.uuid4().hex[:8]}@example.fr")
        project = await apply(http, stack, "projects", form)
        candidate = await apply(
            http, stack, "candidates", candidate_form(f"eig.{uuid.uuid4().hex[:8]}@example.fr")
        )
        project_page = f"{console}/console/dossiers/{project.dossier_id}"
        candidate_page = f"{console}/console/dossiers/{candidate.dossier_id}"
        async with (
            signed_in(browser, console, "staff") as member,
            signed_in(browser, console, "jury") as jury,
            signed_in(browser, console, "admin") as admin,
        ):
            # The project: eligible once the admin's short round is open, so that it joins it.
            evaluation = member.locator("#action-record_evaluation")
            await shown_after_reloads(member, project_page, evaluation)
            await assert_accessible(member)
            round_id = f"7-project-console-{uuid.uuid4().hex[:6]}"
            await admin.goto(f"{console}/console/rounds")
            cutoff_at = datetime.now(UTC) + SHORT_ROUND_CUTOFF_IN
            await admin.get_by_role("textbox", name="Promotion", exact=True).fill("7")
            await admin.get_by_label("Type de dossiers").select_option("project")
            await admin.get_by_label("Date limite (heure de Paris)").fill(datetime_local(cutoff_at))
            deliberation = datetime_local(cutoff_at + timedelta(minutes=10))
            await admin.get_by_label("Délibération (heure de Paris)").fill(deliberation)
            await admin.get_by_label("Identifiant (facultatif)").fill(round_id)
            await admin.get_by_role("button", name="Créer la session").click()
            await admin.locator("#round-created").wait_for()
            await fill_and_send(evaluation, ["Éligible"])
            await member.locator("#action-done").wait_for()
            scheduled = member.locator("#dossier-status", has_text="Inscrit à une session")
            await shown_after_reloads(member, project_page, scheduled)

            await act(member, project_page, "record_defence", fields={NOTE: "Soutenance claire."})
            decision = jury.locator(f"#decision-{project.dossier_id}")
            await shown_after_reloads(jury, f"{console}/console/rounds/{round_id}", decision)
            await screenshot(jury, "e2e-console-round-deliberating")
            await assert_accessible(jury)
            await fill_and_send(
                decision,
                ["Retenu"],
                {"Motivation (visible par le demandeur)": "Projet retenu."},
            )
            await jury.locator("#decision-done").wait_for()
            await act(member, project_page, "sign_partnership", fields={SIGNED_ON: "2026-12-01"})

            # The candidate: review, interview, the pool, the match and the joint interview.
            await act(member, candidate_page, "record_review", ["Présélectionné (entretien)"])
            await act(member, candidate_page, "record_interview", ["Au vivier"])
            await assert_accessible(member)
            matching = f"{console}/console/matching"
            proposal = member.locator(f"#propose-{candidate.dossier_id}")
            await shown_after_reloads(member, matching, proposal)
            await proposal.get_by_label("Projet proposé").select_option(project.dossier_id)
            await proposal.get_by_role("button").click()
            await member.locator("#action-done").wait_for()
            joint = member.locator(f"#joint-{candidate.dossier_id}")
            await shown_after_reloads(member, matching, joint)
            await screenshot(member, "e2e-console-matching")
            await assert_accessible(member)
            await fill_and_send(joint, ["Retenu"])
            await member.locator("#action-done").wait_for()

            # The contract drafted on selection: 12 years of experience → 5,000 € a month.
            listed = member.locator("#contract-table tr", has_text=form["project_title"])
            await shown_after_reloads(member, f"{console}/console/contracts?status=drafted", listed)
            await listed.get_by_role("link").click()
            await member.locator("#monthly-pay", has_text="5 000,00").wait_for()
            contract_page = member.url
            contract_id = contract_page.rsplit("/", 1)[-1]
            summary = await contracts.of_dossier(candidate.dossier_id)
            assert summary["contract_id"] == contract_id
            assert summary["contract_number"].startswith("EIG-7-")
            assert (summary["band"], summary["monthly_net_eur"]) == ("over_10_years", "5000.00")
            drafted = await contracts.detail(contract_id)
            assert drafted["terms"]["term_months"] == 12
            assert drafted["terms"]["host_administration"] == form["administration_name"]
            await screenshot(member, "e2e-console-contract-draft")
            await assert_accessible(member)

            # The offer: the EIG gets it by e-mail and answers through their private link.
            await act(member, contract_page, "send_offer", fields={NOTE: "Bienvenue !"})
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
                sheet.extract_text() for sheet in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
            )
            assert summary["contract_number"] in text
            assert "5 000,00" in text and "60 000,00" in text and "6 000,00" in text
            await accept_on_the_offer_page(page, link)

            # Countersigned by an admin: staff are told it is theirs to do.
            await shown_after_reloads(member, contract_page, member.locator("#awaits-admin"))
            assert await member.locator("#action-countersign").count() == 0
            await act(admin, contract_page, "countersign", fields={NOTE: "DINUM"})
            signed_badge = admin.locator("#contract-status", has_text="Contrat signé")
            await shown_after_reloads(admin, contract_page, signed_badge)
            await screenshot(admin, "e2e-console-contract-signed")
            await assert_accessible(admin)
        await mails_with(maildir, candidate.address, subject("contract_signed/candidate"))
        await mails_with(maildir, project.address, subject("mission_letter/host"))
        signed = await contracts.detail(contract_id)
        actors = [(step["action"], step["actor"]) for step in signed["timeline"]]
        assert ("accept", "applicant") in actors
        by_staff = await contracts.act(contract_id, "countersign", {})
        assert by_staff.status_code in (403, 409)  # an admin's, and done already

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
