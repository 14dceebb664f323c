"""The HTTP adapter of the staff APIs: the user's bearer on every call, the answer read into its
model, the project's error format read back into ApiRefused, a failing API into ApiUnavailable.
(The adapter against the real APIs: tests/e2e/test_console_journeys.py.)"""

import json
from uuid import uuid4

import httpx
import pytest

from services.console.staff_api import ApiRefused, ApiUnavailable, HttpStaffApi


def adapter(handler: httpx.MockTransport) -> HttpStaffApi:
    api = HttpStaffApi("http://selection", "http://contracts")
    api._client = httpx.AsyncClient(transport=handler)
    return api


class TestHttpStaffApi:
    async def test_an_action_posts_its_body_with_the_users_token(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json={"status": "interview", "allowed_actions": []})

        dossier_id = uuid4()
        outcome = await adapter(httpx.MockTransport(answer)).apply_action(
            "token-1", dossier_id, "record_review", {"outcome": "shortlisted"}
        )

        assert outcome.status == "interview"
        [request] = seen
        assert request.method == "POST"
        assert str(request.url) == (
            f"http://selection/api/v1/dossiers/{dossier_id}/actions/record_review"
        )
        assert request.headers["Authorization"] == "Bearer token-1"
        assert json.loads(request.content) == {"outcome": "shortlisted"}

    async def test_a_refusal_carries_the_reason_fields_and_allowed_actions(self) -> None:
        body = {
            "detail": "Not allowed in in_review",
            "errors": [{"field": "note", "message": "too long", "type": "value_error"}],
            "status": "in_review",
            "allowed_actions": ["record_review"],
        }
        api = adapter(httpx.MockTransport(lambda _: httpx.Response(409, json=body)))

        with pytest.raises(ApiRefused) as refused:
            await api.apply_contract_action("t", uuid4(), "countersign", {})

        assert refused.value.status_code == 409
        assert refused.value.detail == "Not allowed in in_review"
        assert [(p.field, p.message) for p in refused.value.errors] == [("note", "too long")]
        assert (refused.value.current_status, refused.value.allowed_actions) == (
            "in_review",
            ["record_review"],
        )

    async def test_a_failing_api_is_unavailable(self) -> None:
        api = adapter(httpx.MockTransport(lambda _: httpx.Response(503)))

        with pytest.raises(ApiUnavailable):
            await api.create_round("t", {"promotion_number": 7})
