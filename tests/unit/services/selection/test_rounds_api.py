"""Promotions, rounds and jury decisions through the selection API, over in-memory ports."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from libs.api_errors import install_error_handlers
from libs.auth import DevTokenVerifier, write_dev_tokens
from libs.messages.dossier_events import DossierStatus
from services.selection.api import rounds
from tests.unit.services.selection.promotions import InMemoryPromotionDirectory
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    WorkflowsUnavailable,
)
from workflows.dossier.client import DossierNotFound
from workflows.dossier.models import ActionRequest, ActionResult, DossierSnapshot
from workflows.promotion.calendar import first_cutoff_after, paris_end_of_day_in_utc
from workflows.promotion.models import RoundRef

NOW = datetime.now(UTC)


@dataclass
class FakeDossierWorkflows:
    """Records the updates sent; answers ``results`` or raises ``errors`` per dossier."""

    requests: list[tuple[UUID, ActionRequest, str]] = field(default_factory=list)
    errors: dict[UUID, Exception] = field(default_factory=dict)
    rounds: dict[UUID, RoundRef] = field(default_factory=dict)
    """The round each dossier's workflow holds (membership is the dossier's, ADR 15)."""

    async def apply_action(
        self, dossier_id: UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        self.requests.append((dossier_id, request, update_id))
        if dossier_id in self.errors:
            raise self.errors[dossier_id]
        return ActionResult(status=DossierStatus.SELECTED, allowed_actions=["sign_partnership"])

    async def snapshot(self, dossier_id: UUID) -> DossierSnapshot | None:
        round = self.rounds.get(dossier_id)
        if round is None:
            return None
        return DossierSnapshot(
            dossier_id=dossier_id, kind=round.kind, status=DossierStatus.DEFENDED, round=round
        )


@dataclass
class Clock:
    """The fake promotion's clock: rounds deliberate once it passes their cut-off."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Api:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    promotions: InMemoryPromotionDirectory
    dossiers: FakeDossierWorkflows
    clock: Clock

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    app = FastAPI()
    install_error_handlers(app)
    tokens = write_dev_tokens(tmp_path / "dev-tokens.json")
    app.state.token_verifier = DevTokenVerifier(tmp_path / "dev-tokens.json")
    clock = Clock()
    promotions = InMemoryPromotionDirectory(clock=clock)
    dossiers = FakeDossierWorkflows()
    app.state.promotions = promotions
    app.state.dossier_workflows = dossiers
    app.state.round_members = promotions
    app.include_router(rounds.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://selection") as http:
        yield Api(http, tokens, promotions, dossiers, clock)


def round_body(number: int, **overrides: Any) -> dict[str, Any]:
    cutoff = NOW + timedelta(days=30)
    body: dict[str, Any] = {
        "promotion_number": number,
        "kind": "project",
        "cutoff_at": cutoff.isoformat(),
        "deliberation_at": (cutoff + timedelta(days=14)).isoformat(),
    }
    body.update(overrides)
    return body


async def create_promotion(api: Api, number: int = 7, **overrides: Any) -> httpx.Response:
    body = {"number": number, "year": 2024, "seat_cap": 30, **overrides}
    return await api.http.post("/api/v1/promotions", json=body, headers=api.auth("admin"))


async def enrol(api: Api, number: int, round_id: str, dossier: UUID) -> None:
    """A dossier joins the round: its workflow holds it, the read model lists it."""
    api.promotions.enrol(number, round_id, dossier)
    api.dossiers.rounds[dossier] = (await api.promotions.round_detail(number, round_id)).round


def fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


class TestAuthentication:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/api/v1/promotions"),
            ("POST", "/api/v1/promotions"),
            ("GET", "/api/v1/rounds"),
            ("POST", "/api/v1/rounds"),
            ("GET", "/api/v1/rounds/7-project-2030-02"),
            ("POST", "/api/v1/rounds/7-project-2030-02/decisions"),
        ],
    )
    async def test_every_route_answers_401_without_a_token(
        self, api: Api, method: str, path: str
    ) -> None:
        response = await api.http.request(method, path, json={})

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        ("method", "path", "role"),
        [
            ("POST", "/api/v1/promotions", "jury"),
            ("POST", "/api/v1/rounds", "staff"),
            ("POST", "/api/v1/rounds/7-project-2030-02/decisions", "evaluator"),
            ("POST", "/api/v1/rounds/7-project-2030-02/decisions", "staff"),
        ],
    )
    async def test_a_role_not_accepted_gets_403(
        self, api: Api, method: str, path: str, role: str
    ) -> None:
        response = await api.http.request(method, path, json={}, headers=api.auth(role))

        assert response.status_code == 403


class TestPromotions:
    async def test_a_created_promotion_is_listed_with_all_its_seats_left(self, api: Api) -> None:
        created = await create_promotion(api, number=8, seat_cap=25, calendar="none")

        assert created.status_code == 201
        assert created.json()["rounds"] == []
        listed = await api.http.get("/api/v1/promotions", headers=api.auth("evaluator"))
        assert listed.status_code == 200
        assert listed.json() == [
            {"number": 8, "year": 2024, "seat_cap": 25, "seats_taken": 0, "seats_left": 25}
        ]

    async def test_the_default_calendar_has_six_bimonthly_cutoffs_from_the_next_even_month(
        self, api: Api
    ) -> None:
        created = await create_promotion(api, number=9)

        assert created.status_code == 201
        rounds_created = created.json()["rounds"]
        assert len(rounds_created) == 12
        cutoffs = sorted({datetime.fromisoformat(r["cutoff_at"]) for r in rounds_created})
        assert len(cutoffs) == 6
        assert cutoffs[0] == paris_end_of_day_in_utc(first_cutoff_after(datetime.now(UTC)))
        assert all(cutoff.astimezone(UTC) > NOW for cutoff in cutoffs)
        months = [cutoff.astimezone(UTC).month for cutoff in cutoffs]
        assert all(month % 2 == 0 for month in months)
        listed = await api.http.get("/api/v1/rounds?promotion=9", headers=api.auth("jury"))
        assert {r["round_id"] for r in listed.json()} == {r["round_id"] for r in rounds_created}

    async def test_a_second_promotion_with_the_same_number_is_refused_with_409(
        self, api: Api
    ) -> None:
        assert (await create_promotion(api, number=10)).status_code == 201

        again = await create_promotion(api, number=10, seat_cap=5)

        assert again.status_code == 409
        assert fields(again) == ["number"]

    @pytest.mark.parametrize(
        ("overrides", "field_name"),
        [
            ({"seat_cap": -1}, "seat_cap"),
            ({"year": 1999}, "year"),
            ({"calendar": "weekly"}, "calendar"),
        ],
    )
    async def test_an_invalid_promotion_is_refused_with_422_naming_the_field(
        self, api: Api, overrides: dict[str, Any], field_name: str
    ) -> None:
        response = await create_promotion(api, **overrides)

        assert response.status_code == 422
        assert fields(response) == [field_name]


class TestAddRound:
    async def test_an_added_round_is_open_and_listed_with_its_default_id(self, api: Api) -> None:
        await create_promotion(api, number=11, calendar="none")
        body = round_body(11, kind="candidate")

        created = await api.http.post("/api/v1/rounds", json=body, headers=api.auth("admin"))

        assert created.status_code == 201
        cutoff = datetime.fromisoformat(body["cutoff_at"])
        expected_id = f"11-candidate-{cutoff:%Y-%m}"
        assert created.json()["round_id"] == expected_id
        assert created.json()["state"] == "open"
        listed = await api.http.get(
            "/api/v1/rounds",
            params={"promotion": 11, "kind": "candidate", "state": "open"},
            headers=api.auth("staff"),
        )
        assert [r["round_id"] for r in listed.json()] == [expected_id]
        other_kind = await api.http.get(
            "/api/v1/rounds", params={"kind": "project"}, headers=api.auth("staff")
        )
        assert other_kind.json() == []

    async def test_a_duplicate_round_id_is_refused_with_409(self, api: Api) -> None:
        await create_promotion(api, number=12, calendar="none")
        body = round_body(12, round_id="12-special")
        assert (
            await api.http.post("/api/v1/rounds", json=body, headers=api.auth("admin"))
        ).status_code == 201

        again = await api.http.post("/api/v1/rounds", json=body, headers=api.auth("admin"))

        assert again.status_code == 409
        assert fields(again) == ["round_id"]

    @pytest.mark.parametrize(
        ("overrides", "field_name"),
        [
            ({"cutoff_at": (NOW - timedelta(days=1)).isoformat()}, "cutoff_at"),
            ({"deliberation_at": (NOW + timedelta(days=1)).isoformat()}, "deliberation_at"),
            ({"cutoff_at": "2030-01-01T00:00:00"}, "cutoff_at"),
            ({"kind": "jury"}, "kind"),
            ({"round_id": "has spaces"}, "round_id"),
        ],
    )
    async def test_a_refused_plan_is_answered_422_naming_the_field(
        self, api: Api, overrides: dict[str, Any], field_name: str
    ) -> None:
        await create_promotion(api, number=13, calendar="none")

        response = await api.http.post(
            "/api/v1/rounds", json=round_body(13, **overrides), headers=api.auth("admin")
        )

        assert response.status_code == 422
        assert field_name in fields(response)

    async def test_a_round_of_an_unknown_promotion_is_answered_404(self, api: Api) -> None:
        response = await api.http.post(
            "/api/v1/rounds", json=round_body(404), headers=api.auth("admin")
        )

        assert response.status_code == 404
        assert fields(response) == ["promotion_number"]

    async def test_listing_the_rounds_of_an_unknown_promotion_is_answered_404(
        self, api: Api
    ) -> None:
        response = await api.http.get("/api/v1/rounds?promotion=404", headers=api.auth("staff"))

        assert response.status_code == 404
        assert fields(response) == ["promotion"]

    async def test_a_refused_plan_names_its_field_as_every_invalid_body_does(
        self, api: Api
    ) -> None:
        await create_promotion(api, number=17, calendar="none")
        past = round_body(17, cutoff_at=(NOW - timedelta(days=1)).isoformat())

        response = await api.http.post("/api/v1/rounds", json=past, headers=api.auth("admin"))

        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "value_error"


class TestOutage:
    @pytest.mark.parametrize(
        ("method", "path", "role"),
        [
            ("GET", "/api/v1/promotions", "staff"),
            ("GET", "/api/v1/rounds?promotion=7", "staff"),
            ("GET", "/api/v1/rounds/7-r1", "staff"),
            ("POST", "/api/v1/rounds/7-r1/decisions", "jury"),
        ],
    )
    async def test_temporal_down_is_a_503_with_retry_after(
        self, api: Api, method: str, path: str, role: str
    ) -> None:
        api.promotions.down = True
        body = {"dossier_id": str(uuid.uuid4()), "decision": "selected"}

        response = await api.http.request(method, path, json=body, headers=api.auth(role))

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert api.dossiers.requests == []


class TestRoundDetail:
    async def test_a_round_shows_its_enrolled_dossiers_and_the_seats_left(self, api: Api) -> None:
        await create_promotion(api, number=14, seat_cap=3, calendar="none")
        await api.http.post(
            "/api/v1/rounds", json=round_body(14, round_id="14-r1"), headers=api.auth("admin")
        )
        dossier = uuid.uuid4()
        await enrol(api, 14, "14-r1", dossier)

        for params in ({"promotion": 14}, {}):
            response = await api.http.get(
                "/api/v1/rounds/14-r1", params=params, headers=api.auth("evaluator")
            )
            assert response.status_code == 200
            assert response.json()["dossier_ids"] == [str(dossier)]
            assert response.json()["seats_left"] == 3
            assert response.json()["promotion_number"] == 14

    async def test_an_unknown_round_is_answered_404(self, api: Api) -> None:
        await create_promotion(api, number=15, calendar="none")

        for params in ({"promotion": 15}, {}, {"promotion": 999}):
            response = await api.http.get(
                "/api/v1/rounds/nope", params=params, headers=api.auth("staff")
            )
            assert response.status_code == 404


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestDecisions:
    @pytest.fixture
    async def enrolled(self, api: Api) -> UUID:
        """A dossier enrolled in round 16-r1, which is deliberating (its cut-off passed)."""
        await create_promotion(api, number=16, calendar="none")
        await api.http.post(
            "/api/v1/rounds", json=round_body(16, round_id="16-r1"), headers=api.auth("admin")
        )
        dossier = uuid.uuid4()
        await enrol(api, 16, "16-r1", dossier)
        api.clock.now += timedelta(days=31)
        return dossier

    async def decide(self, api: Api, dossier: UUID, **overrides: Any) -> httpx.Response:
        body = {"dossier_id": str(dossier), "decision": "selected", "note": "Bravo", **overrides}
        return await api.http.post(
            "/api/v1/rounds/16-r1/decisions",
            json=body,
            headers={**api.auth("jury"), "Idempotency-Key": "k-1"},
        )

    async def test_a_decision_runs_record_decision_as_the_jury_member(
        self, api: Api, enrolled: UUID
    ) -> None:
        response = await self.decide(api, enrolled)

        assert response.status_code == 200
        assert response.json()["status"] == "selected"
        [(dossier, request, update_id)] = api.dossiers.requests
        assert dossier == enrolled
        assert request.action == "record_decision"
        assert request.actor == "dev-jury"
        assert request.payload == {"decision": "selected", "note": "Bravo"}
        assert update_id == "k-1"

    async def test_a_dossier_not_enrolled_in_the_round_is_answered_409(
        self, api: Api, enrolled: UUID
    ) -> None:
        response = await self.decide(api, uuid.uuid4())

        assert response.status_code == 409
        assert fields(response) == ["dossier_id"]
        assert api.dossiers.requests == []

    async def test_before_the_cutoff_a_decision_is_refused_naming_the_round_state_and_cutoff(
        self, api: Api, enrolled: UUID
    ) -> None:
        api.clock.now -= timedelta(days=31)  # back before the cut-off: the round is open
        refused_before = sample(
            "selection_actions_total", action="record_decision", result="refused"
        )
        round_detail = await api.http.get("/api/v1/rounds/16-r1", headers=api.auth("jury"))

        response = await self.decide(api, enrolled)

        assert round_detail.json()["state"] == "open"
        assert response.status_code == 409
        detail = response.json()["detail"]
        assert "still open" in detail
        cutoff = datetime.fromisoformat(round_detail.json()["cutoff_at"])
        assert f"{cutoff:%Y-%m-%dT%H:%M:%S}+00:00" in detail
        assert fields(response) == ["round_id"]
        assert api.dossiers.requests == []
        assert (
            sample("selection_actions_total", action="record_decision", result="refused")
            == refused_before + 1
        )

    async def test_a_decision_is_accepted_while_deliberating_and_once_closed(
        self, api: Api, enrolled: UUID
    ) -> None:
        deliberating = await api.http.get("/api/v1/rounds/16-r1", headers=api.auth("jury"))
        first = await self.decide(api, enrolled)
        api.clock.now += timedelta(days=30)  # after the deliberation date
        closed = await api.http.get("/api/v1/rounds/16-r1", headers=api.auth("jury"))
        second = await api.http.post(
            "/api/v1/rounds/16-r1/decisions",
            json={"dossier_id": str(enrolled), "decision": "deferred"},
            headers=api.auth("admin"),
        )

        assert deliberating.json()["state"] == "deliberating"
        assert closed.json()["state"] == "closed"
        assert (first.status_code, second.status_code) == (200, 200)
        assert [request.payload["decision"] for _, request, _ in api.dossiers.requests] == [
            "selected",
            "deferred",
        ]

    async def test_an_unknown_decision_is_answered_422(self, api: Api, enrolled: UUID) -> None:
        response = await self.decide(api, enrolled, decision="maybe")

        assert response.status_code == 422
        assert fields(response) == ["decision"]

    async def test_a_decision_in_an_unknown_round_is_answered_404(
        self, api: Api, enrolled: UUID
    ) -> None:
        response = await api.http.post(
            "/api/v1/rounds/16-nope/decisions",
            json={"dossier_id": str(enrolled), "decision": "selected"},
            headers=api.auth("jury"),
        )

        assert response.status_code == 404

    async def test_an_action_not_allowed_is_answered_409_with_status_and_allowed_actions(
        self, api: Api, enrolled: UUID
    ) -> None:
        api.dossiers.errors[enrolled] = ActionNotAllowed(
            "record_decision is not allowed in status scheduled", "scheduled", ["record_defence"]
        )

        response = await self.decide(api, enrolled)

        assert response.status_code == 409
        assert response.json()["status"] == "scheduled"
        assert response.json()["allowed_actions"] == ["record_defence"]

    @pytest.mark.parametrize(
        ("error", "status_code"),
        [
            (ActionRefused("30/30 seats taken"), 409),
            (
                InvalidActionBody("1 field is invalid", [{"field": "note", "message": "too long"}]),
                422,
            ),
            (DossierNotFound("x"), 404),
            (WorkflowsUnavailable("UNAVAILABLE"), 503),
        ],
    )
    async def test_refusals_of_the_dossier_workflow_are_mapped(
        self, api: Api, enrolled: UUID, error: Exception, status_code: int
    ) -> None:
        api.dossiers.errors[enrolled] = error
        result = {409: "refused", 422: "invalid", 404: "not_found", 503: "unavailable"}
        labels = {"action": "record_decision", "result": result[status_code]}
        counted_before = sample("selection_actions_total", **labels)

        response = await self.decide(api, enrolled)

        assert response.status_code == status_code
        if status_code == 422:
            assert fields(response) == ["note"]
        if status_code == 409:
            assert "30/30 seats taken" in response.json()["detail"]
        assert sample("selection_actions_total", **labels) == counted_before + 1
