"""Scorecards and conflicts of interest."""

import uuid

import httpx

from libs.messages.common import DossierKind
from services.selection.bootstrap import Selection
from services.selection.scorecards import CRITERIA
from tests.unit.selection.conftest import bearer, seed_candidate, seed_project

PROJECT_SCORES = dict.fromkeys(CRITERIA[DossierKind.PROJECT], 2)


def url(dossier_id: uuid.UUID, what: str = "evaluations") -> str:
    return f"/api/v1/dossiers/{dossier_id}/{what}"


class TestScoring:
    async def test_an_evaluator_scores_a_project_on_nine_criteria(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)

        response = await client.post(
            url(dossier_id),
            json={"scores": PROJECT_SCORES, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )

        assert response.status_code == 201
        assert response.json()["author"] == "dev-evaluator"
        assert response.json()["scores"] == PROJECT_SCORES

    async def test_scoring_needs_a_token_and_the_evaluator_role(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        body = {"scores": PROJECT_SCORES, "comment": "Clair"}

        assert (await client.post(url(dossier_id), json=body)).status_code == 401
        for role in ("staff", "jury"):
            response = await client.post(url(dossier_id), json=body, headers=bearer(tokens, role))
            assert response.status_code == 403, role

    async def test_a_score_out_of_range_is_refused_naming_the_criterion(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)

        response = await client.post(
            url(dossier_id),
            json={"scores": {**PROJECT_SCORES, "roadmap": 4}, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["scores.roadmap"]

    async def test_missing_and_foreign_criteria_and_an_empty_comment_are_named(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_candidate(selection)

        no_comment = await client.post(
            url(dossier_id),
            json={"scores": {}, "comment": " "},
            headers=bearer(tokens, "evaluator"),
        )
        wrong_card = await client.post(
            url(dossier_id),
            json={
                "scores": {"roadmap": 1, "entrepreneurial_track_record": 2},
                "comment": "ok",
            },
            headers=bearer(tokens, "evaluator"),
        )

        assert no_comment.status_code == 422
        assert [error["field"] for error in no_comment.json()["errors"]] == ["comment"]
        assert wrong_card.status_code == 422
        assert {error["field"] for error in wrong_card.json()["errors"]} == {
            "scores.roadmap",
            "scores.product_or_tech_leadership",
            "scores.public_interest_motivation",
        }

    async def test_a_second_evaluation_by_the_same_evaluator_is_a_conflict(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        body = {"scores": PROJECT_SCORES, "comment": "Clair"}
        await client.post(url(dossier_id), json=body, headers=bearer(tokens, "evaluator"))

        again = await client.post(url(dossier_id), json=body, headers=bearer(tokens, "evaluator"))

        assert again.status_code == 409

    async def test_an_unknown_dossier_is_not_found(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.post(
            url(uuid.uuid4()),
            json={"scores": PROJECT_SCORES, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )

        assert response.status_code == 404


class TestConflictsOfInterest:
    async def test_a_declared_conflict_blocks_scoring(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        declared = await client.post(
            url(dossier_id, "conflicts-of-interest"),
            json={"reason": "Ancien collègue"},
            headers=bearer(tokens, "evaluator"),
        )

        response = await client.post(
            url(dossier_id),
            json={"scores": PROJECT_SCORES, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )

        assert declared.status_code == 201
        assert response.status_code == 403
        assert "conflict of interest" in response.json()["detail"]

    async def test_declaring_twice_is_idempotent(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        path = url(dossier_id, "conflicts-of-interest")

        first = await client.post(path, headers=bearer(tokens, "evaluator"))
        second = await client.post(path, json={}, headers=bearer(tokens, "evaluator"))

        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["declared_at"] == second.json()["declared_at"]

    async def test_a_conflict_declared_after_scoring_removes_the_score_from_the_summary(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        await client.post(
            url(dossier_id),
            json={"scores": PROJECT_SCORES, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )
        await client.post(
            url(dossier_id, "conflicts-of-interest"), headers=bearer(tokens, "evaluator")
        )

        detail = await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "staff"))

        assert detail.json()["evaluations"]["count"] == 0

    async def test_declaring_needs_the_evaluator_role_and_a_known_dossier(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)

        as_staff = await client.post(
            url(dossier_id, "conflicts-of-interest"), headers=bearer(tokens, "staff")
        )
        unknown = await client.post(
            url(uuid.uuid4(), "conflicts-of-interest"), headers=bearer(tokens, "evaluator")
        )
        anonymous = await client.post(url(dossier_id, "conflicts-of-interest"))

        assert (as_staff.status_code, unknown.status_code, anonymous.status_code) == (
            403,
            404,
            401,
        )
