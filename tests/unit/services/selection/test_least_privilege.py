"""What each staff role sees of a dossier: contact details stay with the programme team, and
an evaluator who declared a conflict of interest no longer sees the others' evaluations."""

import httpx
import pytest

from libs.messages.common import DossierKind
from services.selection.bootstrap import Selection
from services.selection.scorecards import CRITERIA
from tests.unit.services.selection.conftest import bearer, seed_candidate, seed_project

PROJECT_SCORES = dict.fromkeys(CRITERIA[DossierKind.PROJECT], 2)


class TestContactDetails:
    @pytest.mark.parametrize("role", ["evaluator", "jury"])
    async def test_evaluators_and_the_jury_do_not_see_a_candidates_address(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection, role: str
    ) -> None:
        dossier_id = await seed_candidate(selection)

        body = (
            await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, role))
        ).json()

        assert "email" not in body["application"]
        assert body["withheld"] == ["email"]
        assert body["application"]["years_of_experience"] >= 0  # the merits stay visible

    @pytest.mark.parametrize("role", ["evaluator", "jury"])
    async def test_evaluators_and_the_jury_do_not_see_a_projects_contact(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection, role: str
    ) -> None:
        dossier_id = await seed_project(selection)

        body = (
            await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, role))
        ).json()

        assert not {"contact_email", "contact_name"} & set(body["application"])
        assert body["withheld"] == ["contact_email", "contact_name"]
        assert body["application"]["project_title"]

    @pytest.mark.parametrize("role", ["staff", "admin"])
    async def test_the_programme_team_sees_the_whole_application(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection, role: str
    ) -> None:
        dossier_id = await seed_project(selection)

        body = (
            await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, role))
        ).json()

        assert "@" in body["application"]["contact_email"]
        assert body["withheld"] == []


class TestConflictOfInterest:
    async def _scored_by_admin_then_conflicted(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> str:
        dossier_id = await seed_project(selection)
        scored = await client.post(
            f"/api/v1/dossiers/{dossier_id}/evaluations",
            json={"scores": PROJECT_SCORES, "comment": "Porteur solide"},
            headers=bearer(tokens, "admin"),
        )
        assert scored.status_code == 201
        declared = await client.post(
            f"/api/v1/dossiers/{dossier_id}/conflicts-of-interest",
            headers=bearer(tokens, "evaluator"),
        )
        assert declared.status_code == 201
        return str(dossier_id)

    async def test_the_conflicted_evaluator_cannot_list_the_others_evaluations(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await self._scored_by_admin_then_conflicted(client, tokens, selection)

        response = await client.get(
            f"/api/v1/dossiers/{dossier_id}/evaluations", headers=bearer(tokens, "evaluator")
        )

        assert response.status_code == 403
        assert "conflict of interest" in response.json()["detail"]
        assert "Porteur solide" not in response.text

    async def test_the_conflicted_evaluator_sees_no_score_summary_in_the_detail(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await self._scored_by_admin_then_conflicted(client, tokens, selection)

        mine = await client.get(
            f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "evaluator")
        )
        jury = await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "jury"))

        assert mine.json()["evaluations"] is None
        assert jury.json()["evaluations"]["count"] == 1

    async def test_others_still_list_the_evaluations(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await self._scored_by_admin_then_conflicted(client, tokens, selection)

        response = await client.get(
            f"/api/v1/dossiers/{dossier_id}/evaluations", headers=bearer(tokens, "jury")
        )

        assert response.status_code == 200
        assert [item["comment"] for item in response.json()["items"]] == ["Porteur solide"]
