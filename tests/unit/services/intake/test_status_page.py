"""The applicant's status page: where the dossier stands on its kind's way forward (stepper),
its status as a badge, what comes next and when (the next round's cut-off), the private-page
headers; the rules of the stepper on their own."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest

from libs.dossier_links import withdraw_url
from libs.messages.common import Contact, DossierKind, Language
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.web.security_headers import CONTENT_SECURITY_POLICY
from libs.wording import date_and_time
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.pages.status import steps
from services.intake.read_model import record_dossier_event
from tests.html_forms import BROWSER_ACCEPT
from tests.unit.services.intake.conftest import LINK_KEYS
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
from workflows.dossier.rules import PROGRESS

Status = DossierStatus
NOW = datetime.now(UTC)


class TestSteps:
    def test_a_candidate_goes_through_six_steps_from_received_to_selected(self) -> None:
        assert PROGRESS[DossierKind.CANDIDATE] == (
            Status.RECEIVED,
            Status.IN_REVIEW,
            Status.INTERVIEW,
            Status.IN_POOL,
            Status.MATCHED,
            Status.SELECTED,
        )
        step = steps(DossierKind.CANDIDATE, Status.INTERVIEW, ["received", "in_review"])
        assert (step.current, step.total) == (3, 6)
        assert step.title.fr == "Entretien"
        assert step.next_title is not None and step.next_title.fr == "Dans le vivier"

    def test_the_investigation_counts_as_a_step_only_for_a_project_that_has_one(self) -> None:
        without = steps(DossierKind.PROJECT, Status.ELIGIBLE, ["received", "in_evaluation"])
        with_one = steps(
            DossierKind.PROJECT,
            Status.ELIGIBLE,
            ["received", "in_evaluation", "investigation_requested"],
        )
        assert (without.current, without.total) == (3, 7)
        assert (with_one.current, with_one.total) == (4, 8)

    def test_a_final_status_stands_where_the_dossier_stopped_with_no_next_step(self) -> None:
        step = steps(
            DossierKind.CANDIDATE, Status.WITHDRAWN, ["received", "in_review", "withdrawn"]
        )
        assert (step.current, step.total) == (2, 6)
        assert step.title.fr == "Dossier retiré"
        assert step.next_title is None

    def test_the_last_step_has_no_next_one(self) -> None:
        step = steps(DossierKind.PROJECT, Status.PARTNERSHIP_SIGNED, [])
        assert step.current == step.total
        assert step.next_title is None


@pytest.fixture
def calendar() -> InMemoryPromotionCalendar:
    return InMemoryPromotionCalendar(sample_outlook(NOW))


@pytest.fixture
async def intake(tmp_path: Path, calendar: InMemoryPromotionCalendar) -> AsyncIterator[Intake]:
    intake = await intake_with_pages(tmp_path / "eig.db", calendar)
    yield intake
    await intake.engine.dispose()


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(intake=intake))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


async def submitted(client: httpx.AsyncClient, kind: DossierKind) -> tuple[UUID, str]:
    if kind == DossierKind.CANDIDATE:
        response = await client.post(CANDIDATES, json=candidate_body())
    else:
        response = await client.post(PROJECTS, json=project_body())
    assert response.status_code == 202
    dossier_id = UUID(response.json()["dossier_id"])
    assert (await confirm_email(client, LINK_KEYS, dossier_id)).status_code == 303
    # The withdraw link of the e-mail (it shows the withdrawal), built as notifications do.
    link = urlsplit(withdraw_url("http://intake.test", LINK_KEYS, dossier_id))
    return dossier_id, f"{link.path}?{link.query}"


async def reached(intake: Intake, dossier_id: UUID, kind: DossierKind, status: Status) -> None:
    await record_dossier_event(
        intake.sessions,
        DossierStatusChanged(
            dossier_id=dossier_id,
            occurred_at=datetime.now(UTC) + timedelta(seconds=1),
            kind=kind,
            status=status,
            title="technical_director" if kind == DossierKind.CANDIDATE else "Un projet",
            contact=Contact(name="Camille Martin", email="camille.martin@example.fr"),
            note="Entretien le 3 mars" if status == Status.INTERVIEW else "",
        ),
    )


async def page(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    return response


def stepper(html: str) -> tuple[str, str]:
    match = re.search(r'data-fr-current-step="(\d+)" data-fr-steps="(\d+)"', html)
    assert match is not None
    return match.group(1), match.group(2)


class TestThePage:
    async def test_a_new_candidate_sees_received_step_one_of_six_and_the_next_cut_off(
        self, client: httpx.AsyncClient
    ) -> None:
        _, path = await submitted(client, DossierKind.CANDIDATE)

        html = (await page(client, path)).text

        assert '<p class="fr-badge fr-badge--new">Dossier reçu</p>' in html
        assert stepper(html) == ("1", "6")
        assert "Candidature en cours d&#39;examen" in html  # the next step
        next_round = sample_outlook(NOW).rounds[3]  # the candidates' open round
        assert date_and_time(Language.FR, next_round.cutoff_at) in html
        assert 'id="confirm-withdrawal"' in html

    async def test_a_project_in_evaluation_sees_its_own_steps_and_rounds(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id, path = await submitted(client, DossierKind.PROJECT)
        await reached(intake, dossier_id, DossierKind.PROJECT, Status.IN_EVALUATION)

        html = (await page(client, path)).text

        assert '<p class="fr-badge fr-badge--info">En cours d&#39;évaluation</p>' in html
        assert stepper(html) == ("2", "7")
        next_round = sample_outlook(NOW).rounds[2]  # the projects' open round
        assert date_and_time(Language.FR, next_round.cutoff_at) in html

    async def test_the_timeline_shows_each_status_and_its_note(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id, path = await submitted(client, DossierKind.CANDIDATE)
        await reached(intake, dossier_id, DossierKind.CANDIDATE, Status.INTERVIEW)

        html = (await page(client, path)).text
        timeline = html[html.index('<ol id="timeline">') : html.index("</ol>")]

        assert timeline.count("<li>") == 2
        assert timeline.index("Dossier reçu") < timeline.index("Entretien")
        assert "Entretien le 3 mars" in timeline
        assert stepper(html) == ("3", "6")

    async def test_a_rejected_candidate_sees_an_error_badge_no_next_step_no_form(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier_id, path = await submitted(client, DossierKind.CANDIDATE)
        await reached(intake, dossier_id, DossierKind.CANDIDATE, Status.REJECTED)

        html = (await page(client, path)).text

        assert '<p class="fr-badge fr-badge--error">Candidature non retenue</p>' in html
        assert 'id="next"' not in html
        assert 'id="confirm-withdrawal"' not in html

    async def test_without_an_answer_from_the_promotion_the_page_still_shows(
        self, client: httpx.AsyncClient, calendar: InMemoryPromotionCalendar
    ) -> None:
        _, path = await submitted(client, DossierKind.CANDIDATE)
        calendar.answer = None

        html = (await page(client, path)).text

        assert 'id="next-round"' not in html
        assert "L’équipe du programme va examiner votre candidature." in html

    async def test_in_english_on_request(self, client: httpx.AsyncClient) -> None:
        _, path = await submitted(client, DossierKind.CANDIDATE)

        html = (await page(client, f"{path}&lang=en")).text

        assert '<html lang="en">' in html
        assert "Application received" in html and "Confirm withdrawal" in html

    async def test_it_is_private_and_framed_by_nobody(self, client: httpx.AsyncClient) -> None:
        _, path = await submitted(client, DossierKind.CANDIDATE)

        response = await page(client, path)

        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "<script>" not in response.text  # scripts come from files (script-src 'self')
