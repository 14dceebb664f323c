"""Staff actions on contracts: role per action, body validation before Temporal, refusals mapped."""

import uuid

import httpx
import pytest

from libs.auth import StaffRole, dev_signing_key, mint_dev_token
from libs.messages.contract_events import ContractStatus
from services.contracts.bootstrap import Contracts
from tests.unit.services.contracts.conftest import FakeContractWorkflows, bearer
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowsUnavailable,
)
from workflows.contract.client import ContractNotFound
from workflows.contract.models import ContractActionResult

START = {"start_on": "2026-05-04"}


def url(action: str, contract_id: uuid.UUID | None = None) -> str:
    return f"/api/v1/contracts/{contract_id or uuid.uuid4()}/actions/{action}"


class TestApplying:
    async def test_an_action_is_sent_with_the_staff_id_body_and_idempotency_key(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeContractWorkflows
    ) -> None:
        contract_id = uuid.uuid4()
        workflows.result = ContractActionResult(
            status=ContractStatus.DRAFTED, allowed_actions=["set_start_date", "send_offer"]
        )

        response = await client.post(
            url("set_start_date", contract_id),
            json=START,
            headers={**bearer(tokens, "staff"), "Idempotency-Key": "start-1"},
        )

        assert response.status_code == 200
        assert response.json() == {
            "status": "drafted",
            "allowed_actions": ["set_start_date", "send_offer"],
        }
        [(called_id, request, update_id)] = workflows.calls
        assert (called_id, request.action, request.actor, update_id) == (
            contract_id,
            "set_start_date",
            "dev-staff",
            "start-1",
        )
        assert request.payload == START

    async def test_an_action_carries_its_actor_s_display_name(
        self, client: httpx.AsyncClient, contracts: Contracts, workflows: FakeContractWorkflows
    ) -> None:
        """The console's sign-in mints a token with the person's name: the timeline shows it."""
        key = dev_signing_key(contracts.settings.dev_signing_key_file, create=True)
        assert key is not None
        token = mint_dev_token(
            key,
            subject="dev-admin-dominique",
            name="Dominique Admin",
            roles=frozenset({StaffRole.ADMIN}),
            lifetime_seconds=60,
        )

        response = await client.post(
            url("countersign"), json={}, headers={"Authorization": f"Bearer {token}"}
        )

        assert response.status_code == 200, response.text
        [(_, request, _)] = workflows.calls
        assert (request.actor, request.actor_name) == ("dev-admin-dominique", "Dominique Admin")

    async def test_without_an_idempotency_key_each_request_gets_its_own_update_id(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeContractWorkflows
    ) -> None:
        for _ in range(2):
            await client.post(url("send_offer"), json={}, headers=bearer(tokens, "staff"))

        assert len({update_id for _, _, update_id in workflows.calls}) == 2
        assert workflows.calls[0][1].payload == {"note": ""}


class TestRoles:
    async def test_without_a_token_an_action_is_unauthorized(
        self, client: httpx.AsyncClient, workflows: FakeContractWorkflows
    ) -> None:
        assert (await client.post(url("send_offer"), json={})).status_code == 401
        assert workflows.calls == []

    @pytest.mark.parametrize(
        ("action", "body", "refused", "accepted"),
        [
            ("set_start_date", START, "evaluator", "staff"),
            ("send_offer", {}, "jury", "staff"),
            ("decide_renewal", {"renew": True}, "evaluator", "admin"),
            ("countersign", {}, "staff", "admin"),
        ],
    )
    async def test_each_action_has_its_role(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeContractWorkflows,
        action: str,
        body: dict[str, object],
        refused: str,
        accepted: str,
    ) -> None:
        denied = await client.post(url(action), json=body, headers=bearer(tokens, refused))
        allowed = await client.post(url(action), json=body, headers=bearer(tokens, accepted))

        assert (denied.status_code, allowed.status_code) == (403, 200)
        assert [request.action for _, request, _ in workflows.calls] == [action]

    @pytest.mark.parametrize("action", ["accept", "decline"])
    async def test_the_eigs_answers_are_forbidden_to_staff(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeContractWorkflows,
        action: str,
    ) -> None:
        response = await client.post(url(action), json={}, headers=bearer(tokens, "admin"))

        assert response.status_code == 403
        assert "private link" in response.json()["detail"]
        assert workflows.calls == []

    async def test_an_unknown_action_is_not_found(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeContractWorkflows
    ) -> None:
        response = await client.post(url("tear_up"), json={}, headers=bearer(tokens, "admin"))

        assert response.status_code == 404
        assert "Unknown action" in response.json()["detail"]
        assert workflows.calls == []


class TestBodies:
    @pytest.mark.parametrize(
        ("action", "body", "fields"),
        [
            ("set_start_date", {"start_on": "next monday"}, {"start_on"}),
            ("set_start_date", {}, {"start_on"}),
            ("decide_renewal", {"renew": "perhaps", "colour": "blue"}, {"renew", "colour"}),
            ("send_offer", {"note": "x" * 5001}, {"note"}),
            ("send_offer", {"note": "a NUL \u0000 in it"}, {"note"}),
            # Issue 9: passed as a future working day, then wedged the contract (year 10000).
            ("set_start_date", {"start_on": "9999-01-04"}, {"start_on"}),
        ],
    )
    async def test_a_bad_body_is_refused_naming_its_fields_before_temporal(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeContractWorkflows,
        action: str,
        body: dict[str, object],
        fields: set[str],
    ) -> None:
        response = await client.post(url(action), json=body, headers=bearer(tokens, "admin"))

        assert response.status_code == 422
        assert {error["field"] for error in response.json()["errors"]} == fields
        assert workflows.calls == []

    async def test_the_openapi_document_gives_every_staff_action_its_body(
        self, client: httpx.AsyncClient
    ) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]

        for action, model in [
            ("set_start_date", "SetStartDate"),
            ("send_offer", "SendOffer"),
            ("countersign", "Countersign"),
            ("decide_renewal", "DecideRenewal"),
        ]:
            operation = paths[f"/api/v1/contracts/{{contract_id}}/actions/{action}"]["post"]
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith(f"/{model}"), action
            assert {"200", "401", "403", "404", "409", "422"} <= set(operation["responses"])
        assert "/api/v1/contracts/{contract_id}/actions/accept" not in paths
        decline = paths["/api/v1/contracts/{contract_id}/decline"]["post"]
        assert "409" in decline["responses"]


class TestWorkflowErrors:
    async def test_an_action_not_allowed_is_a_conflict_with_status_and_allowed_actions(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeContractWorkflows
    ) -> None:
        workflows.error = ActionNotAllowed(
            "send_offer is not allowed in status accepted", "accepted", ["countersign"]
        )

        response = await client.post(url("send_offer"), json={}, headers=bearer(tokens, "staff"))

        assert response.status_code == 409
        body = response.json()
        assert (body["status"], body["allowed_actions"]) == ("accepted", ["countersign"])
        assert "not allowed" in body["detail"]

    @pytest.mark.parametrize(
        ("error", "status_code", "detail"),
        [
            (ActionRefused("the start date moved past"), 409, "the start date moved past"),
            (ContractNotFound("x"), 404, "Contract not found"),
            (UnknownAction("x"), 404, "Contract not found"),
            (WorkflowsUnavailable("x"), 503, "retry"),
        ],
    )
    async def test_workflow_refusals_are_mapped(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeContractWorkflows,
        error: Exception,
        status_code: int,
        detail: str,
    ) -> None:
        workflows.error = error

        response = await client.post(url("send_offer"), json={}, headers=bearer(tokens, "staff"))

        assert response.status_code == status_code
        assert detail in response.json()["detail"]

    async def test_a_body_the_workflow_refuses_is_unprocessable_naming_its_fields(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeContractWorkflows
    ) -> None:
        workflows.error = InvalidActionBody(
            "invalid body", [{"field": "start_on", "message": "not a working day"}]
        )

        response = await client.post(
            url("set_start_date"), json=START, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "start_on",
            "message": "not a working day",
            "type": "value_error",
        }
