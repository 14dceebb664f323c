"""The EIG answers the offer through their private link: the page, JSON and the form flow."""

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from libs.messages.contract_events import ContractStatus
from services.contracts.bootstrap import Contracts
from tests.unit.services.contracts.conftest import FakeContractWorkflows, link_token, seed
from workflows.client_errors import ActionNotAllowed, ActionRefused, WorkflowsUnavailable
from workflows.contract.client import ContractNotFound
from workflows.contract.models import ContractActionResult

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ACCEPTED = ContractActionResult(status=ContractStatus.ACCEPTED, allowed_actions=["countersign"])
DECLINED = ContractActionResult(status=ContractStatus.DECLINED, allowed_actions=[])


def answer_url(contract_id: uuid.UUID | str, answer: str) -> str:
    return f"/api/v1/contracts/{contract_id}/{answer}"


class TestOfferPage:
    async def test_the_offer_page_summarises_the_offer_in_french_then_english(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.OFFER_SENT, ["accept", "decline"])
        token = link_token(contracts, story)

        response = await client.get(f"/contracts/{story.contract_id}", params={"token": token})

        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        page = response.text
        for text in (
            "Votre offre de contrat EIG",
            "EIG-7-0001",
            "4 250,00 €",
            "51 000,00 €",
            "3 060,00 €",
            "1er avril 2026",
            "Direction générale des Finances publiques",
            "Signalement simplifié",
            "12 mars 2026",  # the offer's expiry, in Paris time
            "Accepter l'offre",
            "Your EIG contract offer",
        ):
            assert text in page, text
        assert page.index("Votre offre de contrat EIG") < page.index("Your EIG contract offer")
        assert f"/api/v1/contracts/{story.contract_id}/document.pdf?token={token}" in page
        assert f'action="/api/v1/contracts/{story.contract_id}/accept?token={token}"' in page
        assert f'action="/api/v1/contracts/{story.contract_id}/decline?token={token}"' in page

    async def test_once_answered_the_page_offers_no_answer(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.SIGNED, [])

        page = (
            await client.get(
                f"/contracts/{story.contract_id}", params={"token": link_token(contracts, story)}
            )
        ).text

        assert "Contrat signé" in page
        assert "<form" not in page

    async def test_a_wrong_link_and_an_offer_not_sent_yet_are_the_not_found_page(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)
        other = await seed(contracts)
        draft = await seed(contracts, ContractStatus.DRAFTED)

        for contract_id, params in [
            (story.contract_id, {"token": link_token(contracts, other)}),
            (story.contract_id, {}),
            (draft.contract_id, {"token": link_token(contracts, draft)}),
        ]:
            response = await client.get(f"/contracts/{contract_id}", params=params)
            assert response.status_code == 404
            assert "Contrat introuvable" in response.text


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

        response = await client.post(
            answer_url(story.contract_id, "accept"), params={"token": token}, headers=FORM
        )

        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == f"/contracts/{story.contract_id}"
        assert parse_qs(location.query) == {"token": [token], "answer": ["accepted"]}
        workflows.knows(story, ContractStatus.ACCEPTED, ["countersign"])
        page = (await client.get(response.headers["location"])).text
        assert "Votre acceptation est enregistrée" in page
        assert "<form" not in page

    async def test_declining_from_the_page_sends_the_note_typed(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.result = DECLINED

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            content="note=Autre+poste%2C+d%C3%A9sol%C3%A9e",
            headers=FORM,
        )

        assert response.status_code == 303
        assert "answer=declined" in response.headers["location"]
        assert workflows.calls[0][1].payload == {"note": "Autre poste, désolée"}

    async def test_a_second_click_lands_on_the_same_page_as_the_first(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = ActionNotAllowed("not allowed", "accepted", ["countersign"])

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            headers=FORM,
        )

        assert response.status_code == 303
        assert "answer=accepted" in response.headers["location"]

    async def test_a_lapsed_offer_shows_the_page_with_why(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = ActionNotAllowed("not allowed", "offer_expired", [])

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            headers=FORM,
        )

        assert response.status_code == 409
        assert "son statut est « Offre expirée »" in response.text
        assert "its status is “Offer expired”" in response.text

    async def test_when_temporal_is_away_the_page_asks_to_retry_and_keeps_the_forms(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)
        workflows.error = WorkflowsUnavailable("down")
        workflows.snapshot_error = WorkflowsUnavailable("down")

        response = await client.post(
            answer_url(story.contract_id, "accept"),
            params={"token": link_token(contracts, story)},
            headers=FORM,
        )

        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "Réessayez dans quelques instants" in response.text
        assert "<form" in response.text

    async def test_a_note_too_long_shows_the_page_with_the_field(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        story = await seed(contracts)

        response = await client.post(
            answer_url(story.contract_id, "decline"),
            params={"token": link_token(contracts, story)},
            content="note=" + "x" * 5001,
            headers=FORM,
        )

        assert response.status_code == 422
        assert "Réponse invalide" in response.text
        assert "note" in response.text
        assert workflows.calls == []

    async def test_a_wrong_link_from_a_form_is_the_not_found_page(
        self, client: httpx.AsyncClient, contracts: Contracts
    ) -> None:
        story = await seed(contracts)

        response = await client.post(
            answer_url(story.contract_id, "decline"), params={"token": "forged"}, headers=FORM
        )

        assert response.status_code == 404
        assert "Contrat introuvable" in response.text
