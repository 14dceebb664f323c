"""Staff drive a project and a candidate through selection with the documented requests alone.

Runs against the whole local stack (``python -m deploy.local``): staff tokens from
the test OIDC provider (tests/e2e/conftest.py), the promotion the worker seeds, e-mails in the
Maildir.
"""

import email
import email.policy
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StaffHeaders
from tests.eventually import eventually
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e

SHORT_ROUND_CUTOFF_IN = timedelta(seconds=5)
"""From the round's creation: time for one action (the project becoming eligible) to join it."""


class Staff:
    """The staff API as a person with each role would call it."""

    def __init__(self, stack: RunningStack, http: httpx.AsyncClient, headers: StaffHeaders) -> None:
        self.http = http
        self.base = stack.urls["selection"] + "/api/v1"
        self.headers = headers

    async def dossier(self, dossier_id: str) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.base}/dossiers/{dossier_id}", headers=self.headers["staff"]
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def act(
        self, dossier_id: str, action: str, body: dict[str, Any], role: str = "staff"
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/dossiers/{dossier_id}/actions/{action}",
            json=body,
            headers=self.headers[role],
        )

    async def add_short_round(self, label: str) -> str:
        """A project round of promotion 7 whose cut-off is a few seconds away.

        Open rounds are joined by earliest cut-off, so a project made eligible right after
        joins this one, and its jury can decide moments later.
        """
        cutoff_at = datetime.now(UTC) + SHORT_ROUND_CUTOFF_IN
        round_id = f"7-project-e2e-{label}-{uuid.uuid4().hex[:6]}"
        response = await self.http.post(
            f"{self.base}/rounds",
            json={
                "promotion_number": 7,
                "kind": "project",
                "round_id": round_id,
                "cutoff_at": cutoff_at.isoformat(),
                "deliberation_at": (cutoff_at + timedelta(minutes=10)).isoformat(),
            },
            headers=self.headers["admin"],
        )
        assert response.status_code == 201, response.text
        return round_id

    async def round(self, round_id: str) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.base}/rounds/{round_id}", params={"promotion": 7}, headers=self.headers["jury"]
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def round_reaches(self, round_id: str, state: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            detail = await self.round(round_id)
            return detail if detail["state"] == state else None

        found = await eventually(probe, timeout=30, interval=0.2)
        assert found is not None
        return found

    async def round_joined(self, dossier_id: str) -> str:
        """The round the read model shows for the dossier (it learns it from the event)."""

        async def probe() -> str | None:
            joined: str | None = (await self.dossier(dossier_id))["round_id"]
            return joined

        round_id = await eventually(probe, timeout=30)
        assert round_id is not None
        return round_id

    async def decide(self, round_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/rounds/{round_id}/decisions",
            params={"promotion": 7},
            json=body,
            headers=self.headers["jury"],
        )

    async def reaches(self, dossier_id: str, status: str) -> dict[str, Any]:
        """The dossier once its workflow says ``status`` (automatic steps take a moment)."""

        async def probe() -> dict[str, Any] | None:
            response = await self.http.get(
                f"{self.base}/dossiers/{dossier_id}", headers=self.headers["staff"]
            )
            if response.status_code == 404:  # the read model has not seen it yet
                return None
            detail: dict[str, Any] = response.json()
            ready = detail["status"] == status and detail["state_source"] == "workflow"
            return detail if ready else None

        found = await eventually(probe, timeout=30)
        assert found is not None
        return found


def subjects_to(maildir: Path, address: str) -> list[str]:
    subjects = []
    for path in sorted((maildir / "new").glob("*"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec == address:
            subjects.append(str(message["Subject"]))
    return subjects


def mails_count(maildir: Path, address: str, count: int) -> Callable[[], Awaitable[list[str]]]:
    async def probe() -> list[str]:
        found = subjects_to(maildir, address)
        return found if len(found) >= count else []

    return probe


async def submit(
    http: httpx.AsyncClient, stack: RunningStack, path: str, form: dict[str, Any]
) -> str:
    # Applied and confirmed through the confirmation e-mail, as the applicant does.
    accepted = await stack.apply(http, path, form)
    dossier_id: str = accepted["dossier_id"]
    return dossier_id


def project_form(address: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "administration_name": "Agence nationale de la cohésion des territoires",
        "administration_kind": "operator",
        "project_title": f"Cartographier les tiers-lieux {uuid.uuid4().hex[:4]}",
        "problem_statement": "Les élus ne savent pas où ouvrir un tiers-lieu.",
        "public_policy": "Cohésion des territoires",
        "sponsor_name": "Claire Dupont",
        "sponsor_role": "Directrice générale",
        "beta_gouv_product_url": "https://beta.gouv.fr/startups/tiers-lieux.html",
        "beta_gouv_phase": "acceleration",
        "profiles_wanted": ["technical_director"],
        "twelve_month_goals": "Une carte utilisée par 500 collectivités.",
        "contact_name": "Paul Martin",
        "contact_email": address,
        "preferred_language": "fr",
        "consent": True,
    }
    form.update(overrides)
    return form


def candidate_form(address: str) -> dict[str, Any]:
    return {
        "first_name": "Inès",
        "last_name": "Moreau",
        "email": address,
        "role": "technical_director",
        "years_of_experience": 12,
        "entrepreneurial_experience": "Cofondatrice d'une entreprise de logiciels libres.",
        "preferred_language": "fr",
        "consent": True,
    }


@pytest.fixture
def staff(stack: RunningStack, http: httpx.AsyncClient, staff_headers: StaffHeaders) -> Staff:
    return Staff(stack, http, staff_headers)


class TestSelectionJourney:
    async def test_a_project_and_a_candidate_go_from_application_to_selection(
        self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff
    ) -> None:
        maildir = Path(stack.state["maildir"])
        project_address = f"projet.{uuid.uuid4().hex[:8]}@example.fr"
        candidate_address = f"talent.{uuid.uuid4().hex[:8]}@example.fr"

        # The project: evaluation, automatic scheduling in a short round added just before
        # (the open round with the earliest cut-off), defence and the jury's decision once the
        # round deliberates, the partnership.
        project = await submit(http, stack, "projects", project_form(project_address))
        await staff.reaches(project, "in_evaluation")
        round_id = await staff.add_short_round("journey")
        response = await staff.act(project, "record_evaluation", {"outcome": "eligible"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "scheduled"
        assert await staff.round_joined(project) == round_id
        decision_body = {"dossier_id": project, "decision": "selected", "note": "Projet retenu."}
        too_early = await staff.decide(round_id, decision_body)
        assert too_early.status_code == 409, too_early.text
        assert "still open" in too_early.json()["detail"]
        await staff.round_reaches(round_id, "deliberating")
        assert (
            await staff.act(project, "record_defence", {"note": "Soutenance claire."})
        ).status_code == 200
        decision = await staff.decide(round_id, decision_body)
        assert decision.status_code == 200, decision.text
        signed = await staff.act(project, "sign_partnership", {"signed_on": "2026-12-01"})
        assert signed.json()["status"] == "partnership_signed"

        # The candidate: review, interview, talent pool, match with that project, joint
        # interview, selection (a seat of the promotion).
        seats_before = await self.seats_taken(staff)
        candidate = await submit(http, stack, "candidates", candidate_form(candidate_address))
        await staff.reaches(candidate, "in_review")
        for action, body, status in (
            ("record_review", {"outcome": "shortlisted"}, "interview"),
            ("record_interview", {"outcome": "pool"}, "in_pool"),
            ("propose_match", {"project_dossier_id": project}, "matched"),
            ("record_joint_interview", {"outcome": "selected"}, "selected"),
        ):
            response = await staff.act(candidate, action, body)
            assert response.status_code == 200, (action, response.text)
            assert response.json()["status"] == status
        assert await self.seats_taken(staff) == seats_before + 1

        # Each applicant received the e-mail of each step that concerns them.
        project_mails = await eventually(mails_count(maildir, project_address, 4), timeout=30)
        candidate_mails = await eventually(mails_count(maildir, candidate_address, 6), timeout=30)
        # The confirmation request, then received, scheduled, selected.
        assert len(project_mails) == 4
        # The confirmation request, then received, shortlisted, pool, matched, selected.
        assert len(candidate_mails) == 6

        # The staff timeline is a read model fed by Kafka: it catches up with the e-mails.
        async def last_step() -> str | None:
            timeline = (await staff.dossier(candidate))["timeline"]
            last: str = timeline[-1]["status"]
            return last if last == "selected" else None

        assert await eventually(last_step, timeout=30) == "selected"

    async def test_a_project_that_needs_an_investigation_cannot_skip_it(
        self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff
    ) -> None:
        address = f"enquete.{uuid.uuid4().hex[:8]}@example.fr"
        form = project_form(address, beta_gouv_phase="none", beta_gouv_product_url=None)
        project = await submit(http, stack, "projects", form)
        await staff.reaches(project, "in_evaluation")

        refused = await staff.act(project, "record_evaluation", {"outcome": "eligible"})
        assert refused.status_code == 409
        assert (await staff.dossier(project))["status"] == "in_evaluation"
        requested = await staff.act(project, "request_investigation", {"note": "À qualifier."})
        assert requested.json()["status"] == "investigation_requested"
        qualified = await staff.act(project, "record_investigation", {"outcome": "qualified"})
        assert qualified.json()["status"] == "in_evaluation"
        eligible = await staff.act(project, "record_evaluation", {"outcome": "eligible"})
        assert eligible.status_code == 200, eligible.text

    async def test_staff_actions_need_the_right_role(
        self, stack: RunningStack, http: httpx.AsyncClient, staff: Staff
    ) -> None:
        project = await submit(
            http, stack, "projects", project_form(f"roles.{uuid.uuid4().hex[:8]}@example.fr")
        )
        await staff.reaches(project, "in_evaluation")
        anonymous = await http.post(
            f"{staff.base}/dossiers/{project}/actions/record_evaluation",
            json={"outcome": "eligible"},
        )
        assert anonymous.status_code == 401
        evaluator = await staff.act(
            project, "record_evaluation", {"outcome": "eligible"}, "evaluator"
        )
        assert evaluator.status_code == 403
        unknown = await http.get(
            f"{staff.base}/dossiers/{uuid.uuid4()}", headers=staff.headers["staff"]
        )
        assert unknown.status_code == 404

    @staticmethod
    async def seats_taken(staff: Staff) -> int:
        response = await staff.http.get(f"{staff.base}/promotions", headers=staff.headers["staff"])
        promotions = {item["number"]: item for item in response.json()}
        taken: int = promotions[7]["seats_taken"]
        return taken
