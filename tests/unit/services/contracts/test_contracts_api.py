"""Staff reading contracts: the list (read model) and one contract (workflow, else read model)."""

import uuid
from datetime import timedelta

import httpx
import pytest

from libs.messages.contract_events import ContractStatus
from services.contracts.bootstrap import Contracts
from services.contracts.read_model import record_contract_event
from tests.unit.services.contracts.conftest import FakeContractWorkflows, bearer, seed
from tests.unit.services.contracts.events import T0, ContractStory, terms
from workflows.client_errors import WorkflowsUnavailable


class TestList:
    async def test_without_a_token_the_list_is_unauthorized(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/contracts")

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("role", ["staff", "admin"])
    async def test_the_programme_team_lists_contracts(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts, role: str
    ) -> None:
        story = await seed(contracts)

        response = await client.get("/api/v1/contracts", headers=bearer(tokens, role))

        assert response.status_code == 200
        [item] = response.json()["items"]
        assert item["contract_id"] == str(story.contract_id)
        assert (item["contract_number"], item["status"], item["monthly_net_eur"]) == (
            "EIG-7-0001",
            "offer_sent",
            "4250.00",
        )

    async def test_filters_by_dossier_and_status_and_pages(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        offered = [
            await seed(contracts, story=ContractStory(terms=terms(number=f"EIG-7-000{n}")))
            for n in (1, 2, 3)
        ]
        drafted = await seed(
            contracts, ContractStatus.DRAFTED, ContractStory(terms=terms(number="EIG-7-0004"))
        )
        headers = bearer(tokens, "staff")

        by_dossier = await client.get(
            "/api/v1/contracts", params={"dossier_id": str(drafted.dossier_id)}, headers=headers
        )
        by_status = await client.get(
            "/api/v1/contracts", params={"status": "offer_sent", "limit": 2}, headers=headers
        )
        second_page = await client.get(
            "/api/v1/contracts",
            params={"status": "offer_sent", "limit": 2, "offset": 2},
            headers=headers,
        )

        assert [item["contract_number"] for item in by_dossier.json()["items"]] == ["EIG-7-0004"]
        assert by_status.json()["total"] == 3
        listed = [item["contract_id"] for item in by_status.json()["items"]]
        listed += [item["contract_id"] for item in second_page.json()["items"]]
        assert sorted(listed) == sorted(str(story.contract_id) for story in offered)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "signed_in_blood"}, "status"),
            ({"dossier_id": "not-a-uuid"}, "dossier_id"),
            ({"limit": 0}, "limit"),
        ],
    )
    async def test_bad_filters_are_refused_naming_the_field(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        params: dict[str, str | int],
        field: str,
    ) -> None:
        response = await client.get(
            "/api/v1/contracts", params=params, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == [field]

    @pytest.mark.parametrize("role", ["evaluator", "jury"])
    async def test_evaluators_and_the_jury_see_no_contract_pay_or_address(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts, role: str
    ) -> None:
        story = await seed(contracts)

        listing = await client.get("/api/v1/contracts", headers=bearer(tokens, role))
        detail = await client.get(
            f"/api/v1/contracts/{story.contract_id}", headers=bearer(tokens, role)
        )

        assert (listing.status_code, detail.status_code) == (403, 403)
        for response in (listing, detail):
            assert "4250" not in response.text and "@" not in response.text


class TestDetail:
    async def test_the_workflow_gives_status_terms_and_allowed_actions(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        contracts: Contracts,
        workflows: FakeContractWorkflows,
    ) -> None:
        story = await seed(contracts)
        workflows.knows(story, ContractStatus.ACCEPTED, ["countersign"])

        response = await client.get(
            f"/api/v1/contracts/{story.contract_id}", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["allowed_actions"], body["state_source"]) == (
            "accepted",
            ["countersign"],
            "workflow",
        )
        assert body["terms"]["contract_number"] == "EIG-7-0001"
        assert body["eig_email"] == "camille@example.org"
        assert [entry["status"] for entry in body["timeline"]] == ["drafted", "offer_sent"]
        assert body["documents"]["pdf"] == f"/api/v1/contracts/{story.contract_id}/document.pdf"

    async def test_without_temporal_the_read_model_answers_and_says_so(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        contracts: Contracts,
        workflows: FakeContractWorkflows,
    ) -> None:
        story = await seed(contracts)
        workflows.snapshot_error = WorkflowsUnavailable("down")

        response = await client.get(
            f"/api/v1/contracts/{story.contract_id}", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["allowed_actions"], body["state_source"]) == (
            "offer_sent",
            [],
            "read_model",
        )
        assert body["offer_expires_at"] == (T0 + timedelta(days=10)).isoformat().replace(
            "+00:00", "Z"
        )

    async def test_a_contract_the_read_model_has_not_seen_yet_is_shown_from_the_workflow(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeContractWorkflows,
    ) -> None:
        story = ContractStory()
        workflows.knows(story, ContractStatus.DRAFTED, ["set_start_date", "send_offer"])

        response = await client.get(
            f"/api/v1/contracts/{story.contract_id}", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["eig_email"], body["state_source"]) == (
            "drafted",
            None,
            "workflow",
        )
        assert [entry["status"] for entry in body["timeline"]] == ["drafted"]

    async def test_the_renewal_decision_and_next_terms_are_shown(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        contracts: Contracts,
        workflows: FakeContractWorkflows,
    ) -> None:
        story = await seed(contracts, ContractStatus.RENEWAL_DUE)
        second = terms(version=2, start_on=story.terms.end_on + timedelta(days=1))
        await record_contract_event(
            contracts.sessions,
            story.renewal_decided(at=T0 + timedelta(days=1), renew=True, next_terms=second),
        )
        workflows.snapshot_error = WorkflowsUnavailable("down")

        body = (
            await client.get(
                f"/api/v1/contracts/{story.contract_id}", headers=bearer(tokens, "staff")
            )
        ).json()

        assert body["renewal_decision"] is True
        assert body["next_terms"]["version"] == 2
        assert body["timeline"][-1]["event"] == "renewal_decided"
        assert body["timeline"][-1]["renew"] is True

    async def test_an_unknown_contract_is_not_found(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.get(
            f"/api/v1/contracts/{uuid.uuid4()}", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 404
        assert "Contract not found" in response.json()["detail"]

    async def test_reading_a_contract_needs_a_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(f"/api/v1/contracts/{uuid.uuid4()}")).status_code == 401
