"""Staff actions: role per action, body validation before Temporal, workflow errors mapped."""

import uuid

import httpx
import pytest

from tests.unit.services.selection.conftest import FakeDossierWorkflows, bearer
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowsUnavailable,
)
from workflows.dossier.client import DossierNotFound

REVIEW = {"outcome": "shortlisted", "note": "Bon profil"}


def url(action: str, dossier_id: uuid.UUID | None = None) -> str:
    return f"/api/v1/dossiers/{dossier_id or uuid.uuid4()}/actions/{action}"


class TestApplying:
    async def test_an_action_is_sent_with_the_staff_id_body_and_idempotency_key(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = uuid.uuid4()

        response = await client.post(
            url("record_review", dossier_id),
            json=REVIEW,
            headers={**bearer(tokens, "staff"), "Idempotency-Key": "review-1"},
        )

        assert response.status_code == 200
        assert response.json() == {
            "status": "interview",
            "allowed_actions": ["record_interview", "withdraw"],
        }
        [(called_id, request, update_id)] = workflows.calls
        assert (called_id, request.action, request.actor, update_id) == (
            dossier_id,
            "record_review",
            "dev-staff",
            "review-1",
        )
        assert request.payload == REVIEW

    async def test_without_an_idempotency_key_each_request_gets_its_own_update_id(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
    ) -> None:
        for _ in range(2):
            await client.post(
                url("request_investigation"), json={}, headers=bearer(tokens, "staff")
            )

        assert len({update_id for _, _, update_id in workflows.calls}) == 2


class TestRoles:
    async def test_without_a_token_an_action_is_unauthorized(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        assert (await client.post(url("record_review"), json=REVIEW)).status_code == 401

    @pytest.mark.parametrize(
        ("action", "body", "refused", "accepted"),
        [
            ("record_review", REVIEW, "jury", "staff"),
            ("record_decision", {"decision": "selected"}, "staff", "jury"),
            ("sign_partnership", {"signed_on": "2026-05-04"}, "evaluator", "admin"),
        ],
    )
    async def test_each_action_has_its_role(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeDossierWorkflows,
        action: str,
        body: dict[str, str],
        refused: str,
        accepted: str,
    ) -> None:
        denied = await client.post(url(action), json=body, headers=bearer(tokens, refused))
        allowed = await client.post(url(action), json=body, headers=bearer(tokens, accepted))

        assert (denied.status_code, allowed.status_code) == (403, 200)
        assert len(workflows.calls) == 1

    async def test_withdraw_and_unknown_actions_are_not_found_here(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
    ) -> None:
        for action in ("withdraw", "launch_rocket"):
            response = await client.post(url(action), json={}, headers=bearer(tokens, "admin"))
            assert response.status_code == 404, action
            assert "Unknown action" in response.json()["detail"]
        assert workflows.calls == []


class TestBodies:
    async def test_a_bad_body_is_refused_naming_its_fields_before_temporal(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
    ) -> None:
        response = await client.post(
            url("record_review"),
            json={"outcome": "maybe", "colour": "blue"},
            headers=bearer(tokens, "staff"),
        )

        assert response.status_code == 422
        assert {error["field"] for error in response.json()["errors"]} == {"outcome", "colour"}
        assert workflows.calls == []

    async def test_the_openapi_document_gives_every_action_its_body(
        self, client: httpx.AsyncClient
    ) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]

        operation = paths["/api/v1/dossiers/{dossier_id}/actions/record_decision"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/RecordDecision")
        assert "409" in operation["responses"]
        assert "/api/v1/dossiers/{dossier_id}/actions/withdraw" not in paths


class TestWorkflowErrors:
    async def test_an_action_not_allowed_is_a_conflict_with_status_and_allowed_actions(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
    ) -> None:
        workflows.error = ActionNotAllowed(
            "record_review is not allowed in status interview", "interview", ["record_interview"]
        )

        response = await client.post(
            url("record_review"), json=REVIEW, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 409
        body = response.json()
        assert (body["status"], body["allowed_actions"]) == ("interview", ["record_interview"])
        assert "not allowed" in body["detail"]

    @pytest.mark.parametrize(
        ("error", "status_code", "detail"),
        [
            (ActionRefused("30/30 seats taken"), 409, "30/30 seats taken"),
            (DossierNotFound("x"), 404, "Dossier not found"),
            (UnknownAction("x"), 404, "Dossier not found"),
            (WorkflowsUnavailable("x"), 503, "retry"),
        ],
    )
    async def test_workflow_refusals_are_mapped(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        workflows: FakeDossierWorkflows,
        error: Exception,
        status_code: int,
        detail: str,
    ) -> None:
        workflows.error = error

        response = await client.post(
            url("record_review"), json=REVIEW, headers=bearer(tokens, "staff")
        )

        assert response.status_code == status_code
        assert detail in response.json()["detail"]

    async def test_a_body_the_workflow_refuses_is_unprocessable_naming_its_fields(
        self, client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
    ) -> None:
        workflows.error = InvalidActionBody(
            "invalid body", [{"field": "note", "message": "too long"}]
        )

        response = await client.post(
            url("record_review"), json=REVIEW, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "note"
