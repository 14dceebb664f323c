"""The EIG answers the offer through their private link: the page, JSON and the form flow."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from libs.dossier_links import Purpose
from libs.messages.contract_events import ContractStatus
from libs.web.security_headers import CONTENT_SECURITY_POLICY
from services.contracts.bootstrap import Contracts
from services.contracts.read_model import record_contract_event
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden
from tests.unit.services.contracts.conftest import FakeContractWorkflows, link_token, seed
from tests.unit.services.contracts.events import T0, ContractStory
from workflows.client_errors import ActionNotAllowed, ActionRefused, WorkflowsUnavailable
from workflows.contract.client import ContractNotFound
from workflows.contract.models import ContractActionResult

ACCEPTED = ContractActionResult(status=ContractStatus.ACCEPTED, allowed_actions=["countersign"])
DECLINED = ContractActionResult(status=ContractStatus.DECLINED, allowed_actions=[])


def answer_url(contract_id: uuid.UUID | str, answer: str) -> str:
    return f"/api/v1/contracts/{contract_id}/{answer}"


async def offer_page(
    client: httpx.AsyncClient, contracts: Contracts, story: ContractStory, **params: str
) -> httpx.Response:
    """The offer page as a browser opens it from the offer link (``params`` added)."""
    return await client.get(
        f"/contracts/{story.contract_id}",
        params={"token": link_token(contracts, story), **params},
        headers={"Accept": BROWSER_ACCEPT},
    )


async def from_the_page(
    client: httpx.AsyncClient,
    contracts: Contracts,
    story: ContractStory,
    answer: str,
    **fields: str,
) -> httpx.Response:
    """What the offer page's ``answer`` form sends: its CSRF token and ``fields``."""
    page = await offer_page(client, contracts, story)
    return await client.post(
        answer_url(story.contract_id, answer),
        params={"token": link_token(contracts, story)},
        data={"csrf_token": hidden(page.text, "csrf_token"), **fields},
        headers=FORM_POST,
    )


class TestOfferPage:
    async def test_the_offer_page_shows_terms_amounts_dates_and_the_documents(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])
        token = link_token(contracts, story)

        response = await offer_page(client, contracts, story)

        assert response.status_code == 200
        page = response.text
        assert '<html lang="fr">' in page
        for text in (
            "Votre offre de contrat EIG",
            '<p class="fr-badge fr-badge--new">Offre envoyée</p>',
            "EIG-7-0001",
            "4 250,00 €",
            "51 000,00 €",
            "3 060,00 €",
            "1er avril 2026",
            "Direction générale des Finances publiques",
            "Signalement simplifié",
            "12 mars 2026",  # the offer's expiry, in Paris time
            "Accepter l’offre…",
            "Décliner l’offre…",
        ):
            assert text in page, text
        assert f"/api/v1/contracts/{story.contract_id}/document.pdf?token={token}" in page
        assert f"/api/v1/contracts/{story.contract_id}/document.html?token={token}" in page

    async def test_each_answer_is_sent_only_from_inside_its_confirmation_step(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])
        token = link_token(contracts, story)

        page = (await offer_page(client, contracts, story)).text

        for answer, button in (("accept", "confirm-accept"), ("decline", "confirm-decline")):
            step = page[page.index('<details class="eig-confirm') :]
            step = step[step.index(f'id="{answer}"') :]
            step = step[: step.index("</details>")]
            action = f'action="/api/v1/contracts/{story.contract_id}/{answer}?token={token}"'
            assert action in step, answer
            assert f'id="{button}"' in step and 'name="csrf_token"' in step, answer
        assert page.count("<form") == 2

    async def test_in_english_on_request(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])

        page = (await offer_page(client, contracts, story, lang="en")).text

        assert '<html lang="en">' in page
        for text in ("Your EIG contract offer", "€4,250.00", "1 April 2026", "Confirm acceptance"):
            assert text in page, text

    async def test_it_is_private_and_framed_by_nobody(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])

        response = await offer_page(client, contracts, story)

        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "<script>" not in response.text and "<style" not in response.text

    async def test_the_dossiers_read_link_shows_the_offer_but_cannot_answer_it(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])
        read_token = link_token(contracts, story, Purpose.READ)

        page = await client.get(
            f"/contracts/{story.contract_id}",
            params={"token": read_token},
            headers={"Accept": BROWSER_ACCEPT},
        )
        answers = [
            await client.post(answer_url(story.contract_id, answer), params={"token": read_token})
            for answer in ("accept", "decline")
        ]

        assert page.status_code == 200
        assert "EIG-7-0001" in page.text
        assert "<form" not in page.text
        assert 'id="read-only"' in page.text  # says which link answers
        assert [answer.status_code for answer in answers] == [404, 404]
        assert workflows.calls == []

    @pytest.mark.parametrize(
        ("status", "badge", "says"),
        [
            (ContractStatus.ACCEPTED, "fr-badge--success", "Vous avez accepté cette offre"),
            (ContractStatus.DECLINED, "fr-badge", "Vous avez décliné cette offre"),
            (ContractStatus.OFFER_EXPIRED, "fr-badge--warning", "Cette offre a expiré"),
            (ContractStatus.SIGNED, "fr-badge--success", "Contrat signé"),
        ],
    )
    async def test_once_answered_or_lapsed_the_page_says_so_and_offers_no_answer(
        self,
        client: httpx.AsyncClient,
        contracts: Contracts,
        workflows: FakeContractWorkflows,
        status: ContractStatus,
        badge: str,
        says: str,
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, status, [])

        page = (await offer_page(client, contracts, story)).text

        assert says in page
        badge_html = page[page.index('<div id="status-badge">') :]
        assert f'{badge}">' in badge_html[: badge_html.index("</div>")]
        assert "<form" not in page
        assert 'id="deadline"' not in page

    async def test_the_history_shows_the_offer_and_the_answer_with_its_note(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        await record_contract_event(
            contracts.sessions,
            story.changed(
                ContractStatus.DECLINED,
                at=T0 + timedelta(days=2),
                action="decline",
                actor="applicant",
                note="Autre poste",
            ),
        )

        page = (await offer_page(client, contracts, story)).text
        history = page[page.index('<ol id="history">') : page.index("</ol>")]

        assert history.count("<li>") == 2  # drafting is staff's business
        assert history.index("Offre envoyée") < history.index("Offre déclinée")
        assert "Autre poste" in history

    async def test_a_wrong_link_and_an_offer_not_sent_yet_are_the_not_found_page(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)
        other = await seed(contracts)
        draft = await seed(contracts, ContractStatus.DRAFTED)

        for contract_id, params in [
            (story.contract_id, {"token": link_token(contracts, other)}),
            (story.contract_id, {}),
            (story.contract_id, {"token": link_token(contracts, story, Purpose.WITHDRAW)}),
            (draft.contract_id, {"token": link_token(contracts, draft)}),
        ]:
            response = await client.get(
                f"/contracts/{contract_id}", params=params, headers={"Accept": BROWSER_ACCEPT}
            )
            assert response.status_code == 404
            assert "Contrat introuvable" in response.text
            assert "fr-header" in response.text  # the layout's error page
            assert response.headers["Cache-Control"] == "no-store"


class TestJsonAnswers:
    async def test_accepting_applies_the_action_as_the_applicant(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = ACCEPTED

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            headers={"Idempotency-Key": "accept-1"},
        )

        assert response.status_code == 200
        assert response.json() == {
            "contract_id": str(story.contract_id),
            "status": "accepted",
            "allowed_actions": ["countersign"],
        }
        [(contract_id, request, update_id)] = workflows.calls
        assert (contract_id, request.action, request.actor, request.payload, update_id) == (
            story.contract_id,
            "accept",
            "applicant",
            {},
            "accept-1",
        )

    async def test_declining_carries_the_note(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = DECLINED

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            json={"note": "J'ai accepté un autre poste"},
        )

        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        assert workflows.calls[0][1].payload == {"note": "J'ai accepté un autre poste"}

    @pytest.mark.parametrize(
        ("answer", "body", "status_code", "field"),
        [
            ("accept", b'{"note": "ok"}', 422, "note"),
            ("decline", b'{"note": 12, "why": "x"}', 422, "note"),
            ("decline", b"{not json", 400, "body"),
            ("decline", b"[]", 422, "body"),
            # Issue 9: a NUL reached the read model, which PostgreSQL refused without end.
            ("decline", b'{"note": "non merci \\u0000"}', 422, "note"),
            ("decline", b'{"note": "bell \\u0007"}', 422, "note"),
        ],
    )
    async def test_a_bad_body_is_refused_naming_its_field_before_temporal(
        self,
        client: httpx.AsyncClient,
        contracts: Contracts,
        workflows: FakeContractWorkflows,
        answer: str,
        body: bytes,
        status_code: int,
        field: str,
    ) -> None:
        story = await seed(contracts)

        response = await client.post(
            answer_url(story.contract_id, answer),
            params={"token": link_token(contracts, story)},
            content=body,
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == status_code
        assert field in [error["field"] for error in response.json()["errors"]]
        assert workflows.calls == []

    async def test_a_wrong_link_is_not_found_and_reaches_no_workflow(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        other = await seed(contracts)

        answers = [
            await client.post(answer_url(contract_id, "accept"), params=params)
            for contract_id, params in [
                (story.contract_id, {"token": link_token(contracts, other)}),
                (story.contract_id, {}),
                (uuid.uuid4(), {"token": link_token(contracts, story)}),
            ]
        ]

        assert [answer.status_code for answer in answers] == [404, 404, 404]
        assert workflows.calls == []

    async def test_an_offer_no_longer_awaiting_an_answer_is_a_conflict(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = ActionNotAllowed(
            "accept is not allowed in status offer_expired", "offer_expired", []
        )

        response = await client.post(
            answer_url(story.contract_id, "accept"), params={"token": link_token(contracts, story)}
        )

        assert response.status_code == 409
        assert (response.json()["status"], response.json()["allowed_actions"]) == (
            "offer_expired",
            [],
        )

    @pytest.mark.parametrize(
        ("error", "status_code"),
        [
            (ActionRefused("offer lapsed"), 409),
            (ContractNotFound("x"), 404),
            (WorkflowsUnavailable("x"), 503),
        ],
    )
    async def test_other_refusals_are_mapped(
        self,
        client: httpx.AsyncClient,
        contracts: Contracts,
        workflows: FakeContractWorkflows,
        error: Exception,
        status_code: int,
    ) -> None:
        story = await seed(contracts)
        workflows.error = error

        response = await client.post(
            answer_url(story.contract_id, "accept"), params={"token": link_token(contracts, story)}
        )

        assert response.status_code == status_code
        if status_code == 503:
            assert response.headers["retry-after"] == "5"


class TestFormFlow:
    async def test_accepting_from_the_page_goes_back_to_it_with_a_notice(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        token = link_token(contracts, story)
        workflows.result = ACCEPTED

        response = await from_the_page(client, contracts, story, "accept")

        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == f"/contracts/{story.contract_id}"
        assert parse_qs(location.query) == {"token": [token], "answer": ["accepted"]}
        [(_, request, _)] = workflows.calls
        assert (request.action, request.actor, request.payload) == ("accept", "applicant", {})
        workflows.knows(story, ContractStatus.ACCEPTED, ["countersign"])
        page = await client.get(response.headers["location"], headers={"Accept": BROWSER_ACCEPT})
        assert "Votre acceptation est enregistrée" in page.text
        assert "Vous avez accepté cette offre" not in page.text  # said once, by the notice
        assert "<form" not in page.text

    async def test_declining_from_the_page_sends_the_note_typed(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = DECLINED

        response = await from_the_page(
            client, contracts, story, "decline", note=" Autre poste, désolée "
        )

        assert response.status_code == 303
        assert "answer=declined" in response.headers["location"]
        assert workflows.calls[0][1].payload == {"note": "Autre poste, désolée"}

    async def test_a_multipart_decline_keeps_its_note_too(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = DECLINED
        page = await offer_page(client, contracts, story)

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            files={"note": (None, "Autre poste")},
            data={"csrf_token": hidden(page.text, "csrf_token")},
            headers={"Accept": BROWSER_ACCEPT},
        )

        assert response.status_code == 303
        assert workflows.calls[0][1].payload == {"note": "Autre poste"}

    async def test_a_second_click_lands_on_the_same_page_as_the_first(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = ActionNotAllowed("not allowed", "accepted", ["countersign"])

        response = await from_the_page(client, contracts, story, "accept")

        assert response.status_code == 303
        assert "answer=accepted" in response.headers["location"]

    async def test_a_lapsed_offer_shows_the_page_with_why(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = ActionNotAllowed("not allowed", "offer_expired", [])

        response = await from_the_page(client, contracts, story, "accept")

        assert response.status_code == 409
        assert "son statut est « Offre expirée »" in response.text
        assert 'role="alert"' in response.text

    async def test_when_temporal_is_away_the_page_asks_to_retry_and_keeps_the_forms(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        page = await offer_page(client, contracts, story)
        workflows.error = WorkflowsUnavailable("down")
        workflows.snapshot_error = WorkflowsUnavailable("down")

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            data={"csrf_token": hidden(page.text, "csrf_token")},
            headers=FORM_POST,
        )

        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "Réessayez dans quelques instants" in response.text
        assert "<form" in response.text

    async def test_a_note_too_long_shows_the_page_with_the_field(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)

        response = await from_the_page(client, contracts, story, "decline", note="x" * 5001)

        assert response.status_code == 422
        assert "Réponse invalide" in response.text
        assert "note" in response.text
        assert workflows.calls == []

    async def test_a_wrong_link_from_a_form_is_the_not_found_page(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)
        page = await offer_page(client, contracts, story)

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": "forged"},
            data={"csrf_token": hidden(page.text, "csrf_token")},
            headers=FORM_POST,
        )

        assert response.status_code == 404
        assert "Contrat introuvable" in response.text


class TestCsrf:
    async def test_a_form_post_without_the_pages_token_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        await offer_page(client, contracts, story)  # the browser has the cookie

        for data in ({}, {"csrf_token": "forged.token"}):
            response = await client.post(
                answer_url(story.contract_id, "accept"),
                params={"token": link_token(contracts, story)},
                data=data,
                headers=FORM_POST,
            )
            assert response.status_code == 403
            assert "Formulaire non accepté" in response.text

        assert workflows.calls == []

    @pytest.mark.parametrize(
        "foreign",
        [
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": "https://attacker.example"},
        ],
    )
    async def test_a_cross_site_request_is_refused_even_as_json(
        self,
        client: httpx.AsyncClient,
        contracts: Contracts,
        workflows: FakeContractWorkflows,
        foreign: dict[str, str],
    ) -> None:
        story = await seed(contracts)
        page = await offer_page(client, contracts, story)

        form = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            data={"csrf_token": hidden(page.text, "csrf_token")},
            headers={**FORM_POST, **foreign},
        )
        as_json = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            json={},
            headers=foreign,
        )

        assert (form.status_code, as_json.status_code) == (403, 403)
        assert as_json.json()["errors"][0]["field"] == "csrf_token"
        assert workflows.calls == []

    async def test_a_program_posting_json_needs_no_token(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = ACCEPTED

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            json={},
        )

        assert response.status_code == 200


class TestBadRequests:
    async def test_a_body_neither_json_nor_a_form_is_a_415_naming_the_content_type(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            content=b"note=non",
            headers={"Content-Type": "text/plain"},
        )

        assert response.status_code == 415
        assert response.json()["errors"][0]["field"] == "Content-Type"
        assert workflows.calls == []

    async def test_a_body_over_the_limit_from_a_browser_is_a_clear_page(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        page = await offer_page(client, contracts, story)

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            data={"csrf_token": hidden(page.text, "csrf_token"), "note": "x" * 2_000_000},
            headers=FORM_POST,
        )

        assert response.status_code == 413
        assert "Envoi trop volumineux" in response.text
        assert workflows.calls == []
