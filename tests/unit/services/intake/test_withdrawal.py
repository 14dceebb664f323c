"""The applicant withdraws their dossier through the private link (dossier workflow faked)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlmodel import SQLModel

from deploy.local.engines import free_port
from libs.dossier_links import status_url, withdraw_url
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.temporal import TemporalConnection
from services.intake.bootstrap import Intake, bootstrap
from services.intake.read_model import record_dossier_event
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden, same_page
from tests.unit.services.intake.conftest import LINK_KEYS, offline_settings
from tests.unit.services.intake.fakes import ApplyActionCall, FakeDossierWorkflows
from tests.unit.services.intake.forms import CANDIDATES, candidate_body, confirm_email, served
from workflows.client_errors import ActionNotAllowed, ActionRefused, WorkflowsUnavailable
from workflows.dossier.client import DossierNotFound, TemporalDossierWorkflows
from workflows.dossier.models import ActionRequest

CONFIRM_BUTTON = "Confirmer le retrait"


@pytest.fixture
def workflows() -> FakeDossierWorkflows:
    return FakeDossierWorkflows()


@pytest.fixture
async def intake(sqlite_url: str, workflows: FakeDossierWorkflows) -> AsyncIterator[Intake]:
    intake = bootstrap(offline_settings(sqlite_url), dossier_workflows=workflows)
    async with intake.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield intake
    await intake.engine.dispose()


@dataclass(frozen=True)
class Dossier:
    id: UUID
    read_path: str
    """The status link (read token): it shows the dossier and cannot withdraw."""
    status_path: str
    """The withdraw link of the e-mail: the status page with the withdrawal offered."""
    withdraw_path: str


async def submitted(client: httpx.AsyncClient) -> Dossier:
    response = await client.post(CANDIDATES, json=candidate_body())
    assert response.status_code == 202
    dossier_id = UUID(response.json()["dossier_id"])
    assert (await confirm_email(client, LINK_KEYS, dossier_id)).status_code == 303
    read = urlsplit(status_url("https://x", LINK_KEYS, dossier_id))
    link = urlsplit(withdraw_url("https://x", LINK_KEYS, dossier_id))
    return Dossier(
        id=dossier_id,
        read_path=f"{read.path}?{read.query}",
        status_path=f"{link.path}?{link.query}",
        withdraw_path=f"{link.path}/withdraw?{link.query}",
    )


async def from_the_page(
    client: httpx.AsyncClient, dossier: Dossier, path: str | None = None
) -> httpx.Response:
    """What the status page's withdrawal form sends (to ``path`` instead, if given)."""
    page = await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})
    token = hidden(page.text, "csrf_token")
    return await client.post(
        path or dossier.withdraw_path, data={"csrf_token": token}, headers=FORM_POST
    )


def withdrawals(outcome: str) -> float:
    return REGISTRY.get_sample_value("intake_withdrawals_total", {"outcome": outcome}) or 0.0


async def status_reached(intake: Intake, dossier_id: UUID, status: DossierStatus) -> None:
    """The status view learns of ``status`` (as from eig.dossier-events)."""
    await record_dossier_event(
        intake.sessions,
        DossierStatusChanged(
            dossier_id=dossier_id,
            occurred_at=datetime.now(UTC),
            kind=DossierKind.CANDIDATE,
            status=status,
            title="technical_director",
            contact=Contact(name="Camille Martin", email="camille.martin@example.fr"),
        ),
    )


class TestWithdrawal:
    async def test_it_withdraws_the_dossier_as_its_applicant_once_per_dossier(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        counted_before = withdrawals("withdrawn")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 200
        assert response.json() == {
            "dossier_id": str(dossier.id),
            "status": "withdrawn",
            "allowed_actions": [],
        }
        assert workflows.calls == [
            ApplyActionCall(
                dossier.id,
                ActionRequest(action="withdraw", actor="applicant", payload={}),
                f"withdraw-{dossier.id}",
            )
        ]
        assert response.headers["Cache-Control"] == "no-store"
        assert withdrawals("withdrawn") == counted_before + 1

    async def test_an_empty_json_object_is_accepted_as_no_body(
        self, client: httpx.AsyncClient
    ) -> None:
        dossier = await submitted(client)

        response = await client.post(dossier.withdraw_path, json={})

        assert response.status_code == 200
        assert response.json()["status"] == "withdrawn"

    async def test_a_body_with_fields_is_refused_naming_them(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)

        response = await client.post(dossier.withdraw_path, json={"reason": "changed my mind"})

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["reason"]
        assert workflows.calls == []


class TestWrongLinks:
    async def test_every_wrong_link_gets_the_status_endpoints_404_and_nothing_is_sent(
        self, client: httpx.AsyncClient, intake: Intake, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        path, token = dossier.withdraw_path.split("?token=")
        unknown = urlsplit(withdraw_url("https://x", intake.link_keys, uuid4()))
        status_404 = await client.get(dossier.status_path.replace(token, token[:-2] + "xx"))
        wrong_links = {
            "wrong token": f"{path}?token={token[:-2]}xx",
            "the read link's token": f"{path}?{urlsplit(dossier.read_path).query}",
            "missing token": path,
            "token of another dossier": f"{path}?{unknown.query}",
            "unknown dossier with its valid token": f"{unknown.path}/withdraw?{unknown.query}",
            "not a uuid": f"/api/v1/dossiers/not-a-uuid/withdraw?token={token}",
        }
        counted_before = withdrawals("not_found")

        responses = {name: await client.post(link) for name, link in wrong_links.items()}

        assert {name: response.status_code for name, response in responses.items()} == (
            dict.fromkeys(wrong_links, 404)
        )
        assert {response.content for response in responses.values()} == {status_404.content}
        assert workflows.calls == []
        assert withdrawals("not_found") == counted_before + len(wrong_links)

    async def test_a_wrong_link_from_the_form_gets_the_not_found_page(
        self, client: httpx.AsyncClient
    ) -> None:
        dossier = await submitted(client)
        wrong = dossier.withdraw_path[:-2] + "xx"
        page_404 = await client.get(
            dossier.status_path[:-2] + "xx", headers={"Accept": BROWSER_ACCEPT}
        )

        response = await from_the_page(client, dossier, wrong)

        assert response.status_code == 404
        assert same_page(response.content) == same_page(page_404.content)


class TestAlreadyFinal:
    async def test_a_second_withdrawal_is_refused_naming_the_status(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        await client.post(dossier.withdraw_path)

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "withdrawn" in response.json()["detail"]
        assert response.json()["detail"].startswith("Ce dossier ne peut plus être retiré")
        assert response.json()["errors"][0]["field"] == "status"
        assert len(workflows.calls) == 1

    async def test_a_rejected_dossier_cannot_be_withdrawn(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.status = DossierStatus.REJECTED
        counted_before = withdrawals("already_final")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "rejected" in response.json()["detail"]
        assert workflows.calls == []
        assert withdrawals("already_final") == counted_before + 1

    async def test_a_dossier_turning_final_meanwhile_is_refused_by_the_workflow(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.failure = ActionNotAllowed("not allowed", "ineligible", [])

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "ineligible" in response.json()["detail"]

    async def test_a_workflow_completed_meanwhile_answers_with_its_final_status(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.failure = DossierNotFound("no running workflow")
        workflows.status_once_closed = DossierStatus.NOT_SELECTED

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "not_selected" in response.json()["detail"]

    async def test_without_a_snapshot_the_status_view_tells_a_final_status(
        self, client: httpx.AsyncClient, intake: Intake, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        await status_reached(intake, dossier.id, DossierStatus.REJECTED)
        workflows.status = None
        workflows.failure = DossierNotFound("no running workflow")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "rejected" in response.json()["detail"]

    async def test_a_refusal_while_applying_is_a_conflict_with_its_reason(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.failure = ActionRefused("seat release refused")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 409
        assert "seat release refused" in response.json()["detail"]


class TestUnavailable:
    async def test_temporal_down_is_a_503_with_retry_after(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.failure = WorkflowsUnavailable("UNAVAILABLE")
        counted_before = withdrawals("temporal_unavailable")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "réessayez" in response.json()["detail"]
        assert withdrawals("temporal_unavailable") == counted_before + 1

    async def test_a_workflow_not_started_yet_is_a_503_with_retry_after(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        # Just after submission, the bridge may not have started the workflow yet.
        dossier = await submitted(client)
        workflows.status = None
        workflows.failure = DossierNotFound("no running workflow")
        counted_before = withdrawals("workflow_not_started")

        response = await client.post(dossier.withdraw_path)

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert withdrawals("workflow_not_started") == counted_before + 1

    async def test_an_unreachable_temporal_server_is_a_503_not_a_500(self, sqlite_url: str) -> None:
        connection = TemporalConnection(f"127.0.0.1:{free_port()}", "default", connect_timeout=5)
        intake = bootstrap(
            offline_settings(sqlite_url),
            dossier_workflows=TemporalDossierWorkflows(connection),
        )
        async with intake.engine.begin() as db:
            await db.run_sync(SQLModel.metadata.create_all)
        async with served(intake) as client:
            dossier = await submitted(client)

            response = await client.post(dossier.withdraw_path)

        assert response.status_code == 503
        assert "Retry-After" in response.headers


class TestHtmlForm:
    async def test_the_status_page_offers_a_confirmed_withdrawal_form(
        self, client: httpx.AsyncClient
    ) -> None:
        dossier = await submitted(client)

        page = (await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})).text

        # The button that sends is inside the <details> a first click opens (no script).
        details = page[page.index('<details class="eig-confirm">') : page.index("</details>")]
        assert CONFIRM_BUTTON in details
        assert f'<form method="post" action="{dossier.withdraw_path}">' in details
        assert 'name="csrf_token"' in details

    async def test_the_read_links_page_offers_no_withdrawal(
        self, client: httpx.AsyncClient
    ) -> None:
        dossier = await submitted(client)

        page = await client.get(dossier.read_path, headers={"Accept": BROWSER_ACCEPT})

        assert page.status_code == 200
        assert CONFIRM_BUTTON not in page.text
        assert "/withdraw" not in page.text

    async def test_the_form_posts_then_returns_to_the_page_with_a_notice(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)

        response = await from_the_page(client, dossier)

        assert response.status_code == 303
        location = urlsplit(response.headers["Location"])
        assert location.path == urlsplit(dossier.status_path).path
        assert (
            parse_qs(location.query)["token"]
            == parse_qs(urlsplit(dossier.status_path).query)["token"]
        )
        assert [call.request.action for call in workflows.calls] == ["withdraw"]
        page = await client.get(response.headers["Location"], headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200
        assert "Votre demande de retrait est enregistrée" in page.text
        english = await client.get(
            response.headers["Location"] + "&lang=en", headers={"Accept": BROWSER_ACCEPT}
        )
        assert "Your withdrawal is recorded" in english.text
        assert CONFIRM_BUTTON not in page.text

    async def test_a_second_click_after_the_withdrawal_returns_to_the_same_page(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        first = await from_the_page(client, dossier)

        second = await from_the_page(client, dossier)

        assert second.status_code == 303
        assert second.headers["Location"] == first.headers["Location"]
        assert len(workflows.calls) == 1

    async def test_a_final_dossier_has_no_form(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        dossier = await submitted(client)
        await status_reached(intake, dossier.id, DossierStatus.WITHDRAWN)

        page = (await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})).text

        assert "Dossier retiré" in page
        assert CONFIRM_BUTTON not in page

    async def test_a_refused_form_post_shows_why_on_the_page(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.status = DossierStatus.REJECTED

        response = await from_the_page(client, dossier)

        assert response.status_code == 409
        assert response.headers["content-type"].startswith("text/html")
        assert "Candidature non retenue" in response.text

    async def test_an_unavailable_workflow_keeps_the_form_to_try_again(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        workflows.failure = WorkflowsUnavailable("UNAVAILABLE")

        response = await from_the_page(client, dossier)

        assert response.status_code == 503
        assert "Retry-After" in response.headers
        assert "Réessayez dans quelques instants" in response.text
        assert CONFIRM_BUTTON in response.text


class TestCsrf:
    """The form needs the page's token; a cross-site request withdraws nothing, whatever its
    body; programs (JSON, no browser headers) are unaffected."""

    async def test_a_form_post_without_the_token_is_refused_and_withdraws_nothing(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})  # the cookie

        response = await client.post(dossier.withdraw_path, headers=FORM_POST)

        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert workflows.calls == []

    async def test_a_form_post_with_a_token_but_no_cookie_is_refused(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)
        page = await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})
        client.cookies.clear()

        response = await client.post(
            dossier.withdraw_path,
            data={"csrf_token": hidden(page.text, "csrf_token")},
            headers=FORM_POST,
        )

        assert response.status_code == 403
        assert workflows.calls == []

    @pytest.mark.parametrize(
        "foreign",
        [
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": "https://attacker.example"},
        ],
    )
    @pytest.mark.parametrize("as_json", [False, True])
    async def test_a_cross_site_request_is_refused_and_withdraws_nothing(
        self,
        client: httpx.AsyncClient,
        workflows: FakeDossierWorkflows,
        foreign: dict[str, str],
        as_json: bool,
    ) -> None:
        dossier = await submitted(client)
        page = await client.get(dossier.status_path, headers={"Accept": BROWSER_ACCEPT})
        token = hidden(page.text, "csrf_token")

        if as_json:
            response = await client.post(dossier.withdraw_path, json={}, headers=foreign)
        else:
            response = await client.post(
                dossier.withdraw_path,
                data={"csrf_token": token},
                headers={**FORM_POST, **foreign},
            )

        assert response.status_code == 403
        assert workflows.calls == []

    async def test_a_program_withdraws_without_any_token(
        self, client: httpx.AsyncClient, workflows: FakeDossierWorkflows
    ) -> None:
        dossier = await submitted(client)

        response = await client.post(dossier.withdraw_path, json={})

        assert response.status_code == 200
        assert [call.request.action for call in workflows.calls] == ["withdraw"]
