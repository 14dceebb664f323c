"""Scorecards (scoring, listing, editing) and conflicts of interest."""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from libs.messages.common import DossierKind
from services.selection import service_layer
from services.selection.bootstrap import Selection
from services.selection.scorecards import CRITERIA
from tests.unit.services.selection.conftest import bearer, seed_candidate, seed_project

PROJECT_SCORES = dict.fromkeys(CRITERIA[DossierKind.PROJECT], 2)
CANDIDATE_SCORES = dict.fromkeys(CRITERIA[DossierKind.CANDIDATE], 1)


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


async def score(
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    dossier_id: uuid.UUID,
    scores: dict[str, int] = PROJECT_SCORES,
    role: str = "evaluator",
) -> dict[str, Any]:
    response = await client.post(
        url(dossier_id),
        json={"scores": scores, "comment": "Clair"},
        headers=bearer(tokens, role),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestListing:
    async def test_every_evaluation_is_listed_with_its_author_times_and_the_summary(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_candidate(selection)
        mine = await score(client, tokens, dossier_id, CANDIDATE_SCORES)
        theirs = await service_layer.record_evaluation(
            selection.sessions,
            dossier_id,
            "evaluator-2",
            {**CANDIDATE_SCORES, "public_interest_motivation": 3},
            "Très motivée",
        )

        listed = await client.get(url(dossier_id), headers=bearer(tokens, "staff"))

        assert listed.status_code == 200
        body = listed.json()
        assert [item["author"] for item in body["items"]] == ["dev-evaluator", "evaluator-2"]
        first, second = body["items"]
        assert first == mine
        assert first["updated_at"] == first["created_at"]
        assert (second["id"], second["comment"], second["counted"]) == (
            theirs.id,
            "Très motivée",
            True,
        )
        assert body["summary"] == {
            "count": 2,
            "criterion_means": {
                "entrepreneurial_track_record": 1.0,
                "product_or_tech_leadership": 1.0,
                "public_interest_motivation": 2.0,
            },
            "total": 4.0,
        }

    @pytest.mark.parametrize("role", ["staff", "evaluator", "jury", "admin"])
    async def test_every_staff_role_may_read_the_evaluations(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection, role: str
    ) -> None:
        dossier_id = await seed_project(selection)

        response = await client.get(url(dossier_id), headers=bearer(tokens, role))

        assert response.status_code == 200
        assert response.json() == {
            "items": [],
            "summary": {
                "count": 0,
                "criterion_means": dict.fromkeys(CRITERIA[DossierKind.PROJECT], 0.0),
                "total": 0.0,
            },
        }

    async def test_a_conflicted_evaluation_is_listed_but_not_counted(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        await score(client, tokens, dossier_id)
        await client.post(
            url(dossier_id, "conflicts-of-interest"), headers=bearer(tokens, "evaluator")
        )

        body = (await client.get(url(dossier_id), headers=bearer(tokens, "jury"))).json()

        [item] = body["items"]
        assert item["counted"] is False
        assert body["summary"]["count"] == 0

    async def test_a_token_a_known_dossier_and_a_uuid_are_needed(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        anonymous = await client.get(url(uuid.uuid4()))
        unknown = await client.get(url(uuid.uuid4()), headers=bearer(tokens, "staff"))
        malformed = await client.get(
            "/api/v1/dossiers/not-a-uuid/evaluations", headers=bearer(tokens, "staff")
        )

        assert (anonymous.status_code, unknown.status_code, malformed.status_code) == (
            401,
            404,
            422,
        )
        assert [error["field"] for error in malformed.json()["errors"]] == ["dossier_id"]


def edit_url(evaluation_id: int | str) -> str:
    return f"/api/v1/evaluations/{evaluation_id}"


class TestEditing:
    async def test_the_author_edits_scores_and_comment_and_the_summary_follows(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        created = await score(client, tokens, dossier_id)
        new_scores = {**PROJECT_SCORES, "roadmap": 0, "sponsorship": 3}

        edited = await client.put(
            edit_url(created["id"]),
            json={"scores": new_scores, "comment": "Feuille de route absente"},
            headers=bearer(tokens, "evaluator"),
        )

        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert (body["id"], body["author"], body["scores"], body["comment"]) == (
            created["id"],
            "dev-evaluator",
            new_scores,
            "Feuille de route absente",
        )
        assert body["created_at"] == created["created_at"]
        assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(
            created["updated_at"]
        )
        detail = await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "staff"))
        summary = detail.json()["evaluations"]
        assert summary["count"] == 1
        assert (
            summary["criterion_means"]["roadmap"],
            summary["criterion_means"]["sponsorship"],
        ) == (
            0.0,
            3.0,
        )
        assert summary["total"] == sum(new_scores.values())
        [listed] = (await client.get(url(dossier_id), headers=bearer(tokens, "staff"))).json()[
            "items"
        ]
        assert listed == body

    async def test_only_the_author_may_edit(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        theirs = await service_layer.record_evaluation(
            selection.sessions, dossier_id, "evaluator-2", PROJECT_SCORES, "Clair"
        )
        body = {"scores": dict.fromkeys(PROJECT_SCORES, 0), "comment": "Non"}

        for role in ("evaluator", "admin"):
            response = await client.put(
                edit_url(str(theirs.id)), json=body, headers=bearer(tokens, role)
            )
            assert response.status_code == 403, role
            assert "Only the author" in response.json()["detail"]
        listed = (await client.get(url(dossier_id), headers=bearer(tokens, "staff"))).json()
        assert listed["items"][0]["scores"] == PROJECT_SCORES

    async def test_an_edit_is_validated_like_a_new_evaluation_naming_the_fields(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_candidate(selection)
        created = await score(client, tokens, dossier_id, CANDIDATE_SCORES)
        path = edit_url(created["id"])
        headers = bearer(tokens, "evaluator")

        out_of_range = await client.put(
            path,
            json={"scores": {**CANDIDATE_SCORES, "product_or_tech_leadership": 4}, "comment": "x"},
            headers=headers,
        )
        wrong_card = await client.put(
            path, json={"scores": {"roadmap": 1}, "comment": "x"}, headers=headers
        )
        no_comment = await client.put(
            path, json={"scores": CANDIDATE_SCORES, "comment": "  "}, headers=headers
        )

        assert out_of_range.status_code == 422
        assert [e["field"] for e in out_of_range.json()["errors"]] == [
            "scores.product_or_tech_leadership"
        ]
        assert wrong_card.status_code == 422
        assert {e["field"] for e in wrong_card.json()["errors"]} == {
            "scores.roadmap",
            "scores.entrepreneurial_track_record",
            "scores.product_or_tech_leadership",
            "scores.public_interest_motivation",
        }
        assert no_comment.status_code == 422
        assert [e["field"] for e in no_comment.json()["errors"]] == ["comment"]

    async def test_after_declaring_a_conflict_the_author_can_no_longer_edit(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_project(selection)
        created = await score(client, tokens, dossier_id)
        await client.post(
            url(dossier_id, "conflicts-of-interest"), headers=bearer(tokens, "evaluator")
        )

        response = await client.put(
            edit_url(created["id"]),
            json={"scores": PROJECT_SCORES, "comment": "Clair"},
            headers=bearer(tokens, "evaluator"),
        )

        assert response.status_code == 403
        assert "conflict of interest" in response.json()["detail"]

    async def test_unknown_and_malformed_ids_roles_and_tokens(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        body = {"scores": PROJECT_SCORES, "comment": "Clair"}
        dossier_id = await seed_project(selection)
        created = await score(client, tokens, dossier_id)

        unknown = await client.put(edit_url(987654), json=body, headers=bearer(tokens, "evaluator"))
        malformed = await client.put(
            edit_url("abc"), json=body, headers=bearer(tokens, "evaluator")
        )
        as_staff = await client.put(
            edit_url(created["id"]), json=body, headers=bearer(tokens, "staff")
        )
        anonymous = await client.put(edit_url(created["id"]), json=body)

        assert unknown.status_code == 404
        assert "Evaluation not found" in unknown.json()["detail"]
        assert malformed.status_code == 422
        assert [e["field"] for e in malformed.json()["errors"]] == ["evaluation_id"]
        assert (as_staff.status_code, anonymous.status_code) == (403, 401)
