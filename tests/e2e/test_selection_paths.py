"""Every other selection path, through HTTP only, each applicant's e-mails in the Maildir.

The journey module takes a project and a candidate to selection; this one takes the paths
that end elsewhere: ineligible, not qualified, not selected, deferred, rejected, back to the
pool, withdrawn. All applications are submitted at once and the projects that need a round
join one short round, so the module waits for a single cut-off.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.dossier_links import Purpose
from tests.e2e.conftest import StaffHeaders
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
    """The French subject of a notification template (the applicants here write in French)."""
    return (TEMPLATES / template / "fr.subject.txt").read_text(encoding="utf-8").strip()


def cutoff(round_detail: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(round_detail["cutoff_at"])


@dataclass(frozen=True)
class Applicant:
    dossier_id: str
    address: str
    token: str
    """From the private status link returned at submission."""


@dataclass
class Paths:
    stack: RunningStack
    http: httpx.AsyncClient
    staff: Staff
    applicants: dict[str, Applicant]
    round_id: str
    """The short project round the projects in ROUND_PROJECTS joined."""

    @property
    def maildir(self) -> Path:
        return Path(self.stack.state["maildir"])

    async def mails_are(self, name: str, *templates: str) -> None:
        """The applicant received exactly these e-mails, in this order."""
        address = self.applicants[name].address
        expected = [subject(template) for template in templates]

        async def probe() -> list[str]:
            found = subjects_to(self.maildir, address)
            return found if len(found) >= len(expected) else []

        assert await eventually(probe, timeout=30) == expected

    async def act(self, name: str, action: str, body: dict[str, Any], status: str) -> None:
        response = await self.staff.act(self.applicants[name].dossier_id, action, body)
        assert response.status_code == 200, (name, action, response.text)
        assert response.json()["status"] == status, (name, action)

    async def deliberating(self) -> dict[str, Any]:
        return await self.staff.round_reaches(self.round_id, "deliberating")

    async def decide(self, name: str, decision: str) -> httpx.Response:
        await self.act(name, "record_defence", {"note": "Soutenance entendue."}, "defended")
        body = {"dossier_id": self.applicants[name].dossier_id, "decision": decision}
        return await self.staff.decide(self.round_id, body)


PROJECTS = {
    "ineligible": {},
    "not_qualified": {"beta_gouv_phase": "none", "beta_gouv_product_url": None},
    "not_selected": {},
    "deferred": {},
    "host": {},
    "withdrawn": {},
}
ROUND_PROJECTS = ("not_selected", "deferred", "host", "withdrawn")
CANDIDATES = ("rejected", "back_to_pool")


async def apply(
    stack: RunningStack, http: httpx.AsyncClient, kind: str, form: dict[str, Any]
) -> Applicant:
    body = await stack.apply(http, kind, form)  # confirmed through the e-mail's link
    # The e-mail's withdraw link: the status link's token cannot withdraw.
    token = stack.link_token(Purpose.WITHDRAW, body["dossier_id"])
    address = form["contact_email"] if kind == "projects" else form["email"]
    return Applicant(body["dossier_id"], address, token)


@pytest.fixture(scope="module")
async def paths(
    stack: RunningStack, http: httpx.AsyncClient, staff_headers: StaffHeaders
) -> AsyncIterator[Paths]:
    staff = Staff(stack, http, staff_headers)
    run = uuid.uuid4().hex[:6]

    def address(name: str) -> str:
        return f"{name.replace('_', '-')}.{run}@example.fr"

    submissions = [
        apply(stack, http, "projects", project_form(address(name), **overrides))
        for name, overrides in PROJECTS.items()
    ] + [apply(stack, http, "candidates", candidate_form(address(name))) for name in CANDIDATES]
    names = [*PROJECTS, *CANDIDATES]
    applicants = dict(zip(names, await asyncio.gather(*submissions), strict=True))
    await asyncio.gather(
        *(
            staff.reaches(
                applicants[name].dossier_id, "in_evaluation" if name in PROJECTS else "in_review"
            )
            for name in names
        )
    )

    # One short round for every project that needs a jury: they join it (earliest cut-off)
    # as they become eligible, right after it is added.
    round_id = await staff.add_short_round("paths")
    paths = Paths(stack, http, staff, applicants, round_id)
    await asyncio.gather(
        *(
            paths.act(name, "record_evaluation", {"outcome": "eligible"}, "scheduled")
            for name in ROUND_PROJECTS
        )
    )
    for name in ROUND_PROJECTS:
        assert await staff.round_joined(applicants[name].dossier_id) == round_id, name
    yield paths


class TestProjectPaths:
    async def test_a_withdrawal_through_the_private_link_leaves_the_round(
        self, paths: Paths
    ) -> None:
        applicant = paths.applicants["withdrawn"]
        assert applicant.dossier_id in (await paths.staff.round(paths.round_id))["dossier_ids"]

        response = await paths.http.post(
            f"{paths.stack.urls['intake']}/api/v1/dossiers/{applicant.dossier_id}/withdraw",
            params={"token": applicant.token},
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "withdrawn"
        await paths.mails_are(
            "withdrawn",
            "confirm_email/project",
            "received/project",
            "scheduled/project",
            "withdrawn/project",
        )
        await paths.staff.reaches(applicant.dossier_id, "withdrawn")

        async def left_the_round() -> bool:
            detail = await paths.staff.round(paths.round_id)
            return applicant.dossier_id not in detail["dossier_ids"]

        await eventually(left_the_round, timeout=15)

    async def test_an_ineligible_project_is_told_so(self, paths: Paths) -> None:
        await paths.act(
            "ineligible",
            "record_evaluation",
            {"outcome": "ineligible", "note": "Pas de problème de politique publique."},
            "ineligible",
        )

        await paths.mails_are(
            "ineligible", "confirm_email/project", "received/project", "ineligible/project"
        )
        refused = await paths.staff.act(
            paths.applicants["ineligible"].dossier_id, "record_evaluation", {"outcome": "eligible"}
        )
        assert refused.status_code == 409  # final

    async def test_an_investigation_that_does_not_qualify_the_problem_ends_ineligible(
        self, paths: Paths
    ) -> None:
        await paths.act(
            "not_qualified",
            "request_investigation",
            {"note": "Le problème reste à qualifier."},
            "investigation_requested",
        )
        await paths.act(
            "not_qualified",
            "record_investigation",
            {"outcome": "not_qualified", "note": "Aucun usager concerné."},
            "ineligible",
        )

        await paths.mails_are(
            "not_qualified",
            "confirm_email/project",
            "received/project",
            "investigation_requested/project",
            "ineligible/project",
        )

    async def test_after_the_cutoff_the_jury_does_not_select_one_project_and_defers_another(
        self, paths: Paths
    ) -> None:
        first_round = await paths.deliberating()
        not_selected = await paths.decide("not_selected", "not_selected")
        deferred = await paths.decide("deferred", "deferred")

        assert not_selected.status_code == 200, not_selected.text
        assert not_selected.json()["status"] == "not_selected"
        assert deferred.status_code == 200, deferred.text
        assert deferred.json()["status"] == "scheduled"
        await paths.mails_are(
            "not_selected",
            "confirm_email/project",
            "received/project",
            "scheduled/project",
            "not_selected/project",
        )
        await paths.mails_are(
            "deferred",
            "confirm_email/project",
            "received/project",
            "scheduled/project",
            "deferred/project",
        )
        # The deferred project is scheduled again, in a round whose cut-off is later.
        deferred_id = paths.applicants["deferred"].dossier_id

        async def next_round() -> str | None:
            joined: str | None = (await paths.staff.dossier(deferred_id))["round_id"]
            return joined if joined != paths.round_id else None

        later_id = await eventually(next_round, timeout=30)
        assert later_id is not None
        later_round = await paths.staff.round(later_id)
        assert cutoff(later_round) > cutoff(first_round)
        assert deferred_id in later_round["dossier_ids"]
        # A final decision takes the project out of the round's list.
        not_selected_id = paths.applicants["not_selected"].dossier_id

        async def left_the_round() -> bool:
            detail = await paths.staff.round(paths.round_id)
            return not_selected_id not in detail["dossier_ids"]

        await eventually(left_the_round, timeout=15)


class TestCandidatePaths:
    async def test_a_candidate_rejected_at_review_is_told_so(self, paths: Paths) -> None:
        await paths.act(
            "rejected",
            "record_review",
            {"outcome": "rejected", "note": "Expérience trop éloignée du programme."},
            "rejected",
        )

        await paths.mails_are(
            "rejected", "confirm_email/candidate", "received/candidate", "rejected/candidate"
        )

    async def test_after_a_joint_interview_a_candidate_goes_back_to_the_pool(
        self, paths: Paths
    ) -> None:
        for action, body, status in (
            ("record_review", {"outcome": "shortlisted"}, "interview"),
            ("record_interview", {"outcome": "pool"}, "in_pool"),
        ):
            await paths.act("back_to_pool", action, body, status)
        await paths.deliberating()
        selected = await paths.decide("host", "selected")
        assert selected.status_code == 200, selected.text
        await paths.act(
            "host", "sign_partnership", {"signed_on": "2026-12-01"}, "partnership_signed"
        )
        host_id = paths.applicants["host"].dossier_id

        await paths.act("back_to_pool", "propose_match", {"project_dossier_id": host_id}, "matched")
        await paths.act(
            "back_to_pool",
            "record_joint_interview",
            {"outcome": "back_to_pool", "note": "Le projet cherche un autre profil."},
            "in_pool",
        )

        await paths.mails_are(
            "back_to_pool",
            "confirm_email/candidate",
            "received/candidate",
            "shortlisted/candidate",
            "in_pool/candidate",
            "matched/candidate",
            "back_to_pool/candidate",
        )
        detail = await paths.staff.dossier(paths.applicants["back_to_pool"].dossier_id)
        assert detail["status"] == "in_pool"
        assert "propose_match" in detail["allowed_actions"]
