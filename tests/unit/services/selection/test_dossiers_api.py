"""Staff dossier endpoints: list with filters, detail with evaluations and allowed actions."""

import uuid

import httpx

from libs.auth import StaffRole, dev_signing_key, mint_dev_token
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.selection.bootstrap import Selection
from tests.unit.services.selection.conftest import (
    FakeDossierWorkflows,
    bearer,
    seed_candidate,
    seed_project,
)
from workflows.client_errors import WorkflowsUnavailable
from workflows.dossier.models import DossierSnapshot


class TestAccess:
    async def test_listing_without_a_token_is_unauthorized(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.get("/api/v1/dossiers")

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    async def test_every_staff_role_may_read(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        for role in ("staff", "evaluator", "jury", "admin"):
            response = await client.get("/api/v1/dossiers", headers=bearer(tokens, role))
            assert response.status_code == 200, role


class TestList:
    async def test_filters_combine_and_count_every_match(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        in_review = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        await seed_candidate(selection)
        scheduled = await seed_project(selection, round_id="7-project-1")

        async def ids(**params: str) -> set[str]:
            response = await client.get(
                "/api/v1/dossiers", params=params, headers=bearer(tokens, "staff")
            )
            assert response.status_code == 200
            body = response.json()
            assert body["total"] == len(body["items"])
            return {item["dossier_id"] for item in body["items"]}

        assert await ids(status="in_review") == {str(in_review)}
        assert await ids(kind="project") == {str(scheduled)}
        assert await ids(round_id="7-project-1") == {str(scheduled)}
        assert await ids(q="SIGNALEMENT") == {str(scheduled)}
        assert await ids(q="MARTIN", kind="candidate", status="in_review") == {str(in_review)}
        assert await ids(overdue="true") == set()
        assert len(await ids(overdue="false")) == 3

    async def test_pages_split_the_list_and_keep_the_total(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        seeded = {str(await seed_candidate(selection)) for _ in range(3)}

        pages = [
            (
                await client.get(
                    "/api/v1/dossiers",
                    params={"limit": 2, "offset": offset},
                    headers=bearer(tokens, "staff"),
                )
            ).json()
            for offset in (0, 2)
        ]

        assert [page["total"] for page in pages] == [3, 3]
        assert [len(page["items"]) for page in pages] == [2, 1]
        assert {item["dossier_id"] for page in pages for item in page["items"]} == seeded

    async def test_final_splits_decided_dossiers_from_those_to_handle(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        open_one = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        decided = await seed_candidate(selection, DossierStatus.REJECTED)

        async def ids(final: str) -> list[str]:
            response = await client.get(
                "/api/v1/dossiers", params={"final": final}, headers=bearer(tokens, "staff")
            )
            return [item["dossier_id"] for item in response.json()["items"]]

        assert await ids("false") == [str(open_one)]
        assert await ids("true") == [str(decided)]

    async def test_the_list_sorts_on_request(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        first = await seed_candidate(selection)
        second = await seed_candidate(selection, DossierStatus.IN_REVIEW)  # changed later

        async def order(sort: str) -> list[str]:
            response = await client.get(
                "/api/v1/dossiers", params={"sort": sort}, headers=bearer(tokens, "staff")
            )
            assert response.status_code == 200, response.text
            return [item["dossier_id"] for item in response.json()["items"]]

        assert await order("updated_desc") == [str(second), str(first)]
        assert await order("updated_asc") == [str(first), str(second)]
        bad = await client.get(
            "/api/v1/dossiers", params={"sort": "colour"}, headers=bearer(tokens, "staff")
        )
        assert [error["field"] for error in bad.json()["errors"]] == ["sort"]

    async def test_counts_give_each_kind_and_status_and_the_overdue(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        await seed_candidate(selection, DossierStatus.IN_REVIEW)
        await seed_candidate(selection, DossierStatus.IN_REVIEW)
        await seed_project(selection, round_id="7-project-1")

        response = await client.get("/api/v1/dossiers/counts", headers=bearer(tokens, "jury"))

        assert response.status_code == 200
        body = response.json()
        assert body["by_kind"]["candidate"] == {"in_review": 2}
        assert sum(body["by_kind"]["project"].values()) == 1
        assert body["overdue"] == 0

    async def test_a_limit_above_one_hundred_is_refused_naming_it(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/dossiers", params={"limit": 101}, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["limit"]


class TestDetail:
    async def test_an_unknown_dossier_is_not_found(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.get(
            f"/api/v1/dossiers/{uuid.uuid4()}", headers=bearer(tokens, "jury")
        )

        assert response.status_code == 404

    async def test_the_workflow_gives_status_allowed_actions_and_overdue(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        workflows.snapshots[dossier_id] = DossierSnapshot(
            dossier_id=dossier_id,
            kind=DossierKind.CANDIDATE,
            status=DossierStatus.INTERVIEW,
            allowed_actions=["record_interview", "withdraw"],
            overdue=True,
        )

        body = (
            await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "staff"))
        ).json()

        assert (body["status"], body["overdue"], body["state_source"]) == (
            "interview",
            True,
            "workflow",
        )
        assert body["allowed_actions"] == ["record_interview", "withdraw"]
        assert body["application"]["role"] == "technical_director"
        assert [entry["status"] for entry in body["timeline"]] == ["in_review"]

    async def test_without_temporal_the_read_model_answers_and_says_so(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        workflows.snapshot_error = WorkflowsUnavailable("down")

        response = await client.get(
            f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["state_source"], body["allowed_actions"]) == (
            "in_review",
            "read_model",
            [],
        )

    async def test_the_evaluation_summary_gives_means_total_and_count(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier_id = await seed_candidate(selection)
        for role, score in (("evaluator", 3), ("admin", 2)):
            response = await client.post(
                f"/api/v1/dossiers/{dossier_id}/evaluations",
                json={
                    "scores": {
                        "entrepreneurial_track_record": score,
                        "product_or_tech_leadership": 1,
                        "public_interest_motivation": 0,
                    },
                    "comment": "Solide",
                },
                headers=bearer(tokens, role),
            )
            assert response.status_code == 201

        summary = (
            await client.get(f"/api/v1/dossiers/{dossier_id}", headers=bearer(tokens, "jury"))
        ).json()["evaluations"]

        assert summary == {
            "count": 2,
            "criterion_means": {
                "entrepreneurial_track_record": 2.5,
                "product_or_tech_leadership": 1.0,
                "public_interest_motivation": 0.0,
            },
            "total": 3.5,
        }


def named(selection: Selection, name: str, role: StaffRole) -> dict[str, str]:
    """A development JWT for a named person (as the console's sign-in mints)."""
    key = dev_signing_key(selection.settings.dev_signing_key_file, create=True)
    assert key is not None
    slug = name.lower().replace(" ", "-")
    token = mint_dev_token(
        key, subject=f"dev-{slug}", name=name, roles=frozenset({role}), lifetime_seconds=60
    )
    return {"Authorization": f"Bearer {token}"}


class TestFollows:
    async def test_a_followed_dossier_is_listed_for_its_follower_only(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        followed = await seed_candidate(selection)
        await seed_candidate(selection)
        camille = named(selection, "Camille", StaffRole.STAFF)
        dominique = named(selection, "Dominique", StaffRole.EVALUATOR)

        put = await client.put(f"/api/v1/dossiers/{followed}/follow", headers=camille)
        again = await client.put(f"/api/v1/dossiers/{followed}/follow", headers=camille)

        async def listed(headers: dict[str, str]) -> list[str]:
            response = await client.get(
                "/api/v1/dossiers", params={"followed": "true"}, headers=headers
            )
            return [item["dossier_id"] for item in response.json()["items"]]

        assert put.json() == again.json() == {"followed": True}
        assert await listed(camille) == [str(followed)]
        assert await listed(dominique) == []
        detail = await client.get(f"/api/v1/dossiers/{followed}", headers=camille)
        assert detail.json()["followed"] is True
        await client.delete(f"/api/v1/dossiers/{followed}/follow", headers=camille)
        assert await listed(camille) == []

    async def test_following_an_unknown_dossier_is_not_found(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.put(
            f"/api/v1/dossiers/{uuid.uuid4()}/follow", headers=bearer(tokens, "staff")
        )

        assert response.status_code == 404


class TestComments:
    async def test_comments_keep_their_author_s_name_oldest_first(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier = await seed_candidate(selection)
        camille = named(selection, "Camille Martin", StaffRole.STAFF)
        jury = named(selection, "Jo Jury", StaffRole.JURY)

        first = await client.post(
            f"/api/v1/dossiers/{dossier}/comments", json={"body": " Premier "}, headers=camille
        )
        await client.post(
            f"/api/v1/dossiers/{dossier}/comments", json={"body": "Second"}, headers=jury
        )
        listed = await client.get(f"/api/v1/dossiers/{dossier}/comments", headers=camille)

        assert first.status_code == 201
        assert first.json()["author_name"] == "Camille Martin"
        assert [(c["body"], c["author_name"]) for c in listed.json()["items"]] == [
            ("Premier", "Camille Martin"),
            ("Second", "Jo Jury"),
        ]

    async def test_a_blank_comment_is_refused_naming_the_body(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        dossier = await seed_candidate(selection)

        response = await client.post(
            f"/api/v1/dossiers/{dossier}/comments",
            json={"body": "   "},
            headers=bearer(tokens, "staff"),
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["body"]


class TestListingColumns:
    async def test_role_and_administration_kind_filter_the_list(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        candidate = await seed_candidate(selection)
        project = await seed_project(selection)
        detail = (
            await client.get(f"/api/v1/dossiers/{project}", headers=bearer(tokens, "staff"))
        ).json()
        wanted = detail["application"]["profiles_wanted"]
        kind = detail["application"]["administration_kind"]

        async def ids(**params: str) -> set[str]:
            response = await client.get(
                "/api/v1/dossiers", params=params, headers=bearer(tokens, "staff")
            )
            assert response.status_code == 200, response.text
            return {item["dossier_id"] for item in response.json()["items"]}

        assert await ids(administration_kind=kind) == {str(project)}
        assert str(project) in await ids(role=wanted[0])
        assert str(candidate) in await ids(role="technical_director") | await ids(
            role="product_director"
        )
        assert (
            await client.get(
                "/api/v1/dossiers", params={"role": "cook"}, headers=bearer(tokens, "staff")
            )
        ).status_code == 422


class TestActorNames:
    async def test_an_action_carries_its_actor_s_display_name(
        self,
        client: httpx.AsyncClient,
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier = await seed_candidate(selection, DossierStatus.IN_REVIEW)

        await client.post(
            f"/api/v1/dossiers/{dossier}/actions/record_review",
            json={"outcome": "shortlisted"},
            headers=named(selection, "Camille Martin", StaffRole.STAFF),
        )

        _, request, _ = workflows.calls[-1]
        assert (request.actor, request.actor_name) == ("dev-camille-martin", "Camille Martin")


class TestAwaitingMyEvaluation:
    async def test_it_lists_scored_stages_not_yet_scored_nor_declared_by_the_caller(
        self, client: httpx.AsyncClient, tokens: dict[str, str], selection: Selection
    ) -> None:
        waiting = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        scored = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        declared = await seed_candidate(selection, DossierStatus.IN_REVIEW)
        await seed_candidate(selection, DossierStatus.REJECTED)  # decided: nothing to score
        eva = named(selection, "Eva", StaffRole.EVALUATOR)
        scores = {
            "entrepreneurial_track_record": 2,
            "product_or_tech_leadership": 2,
            "public_interest_motivation": 2,
        }
        created = await client.post(
            f"/api/v1/dossiers/{scored}/evaluations",
            json={"scores": scores, "comment": "ok"},
            headers=eva,
        )
        assert created.status_code == 201, created.text
        await client.post(f"/api/v1/dossiers/{declared}/conflicts-of-interest", headers=eva)

        async def listed(headers: dict[str, str]) -> set[str]:
            response = await client.get(
                "/api/v1/dossiers", params={"awaiting_my_evaluation": "true"}, headers=headers
            )
            return {item["dossier_id"] for item in response.json()["items"]}

        assert await listed(eva) == {str(waiting)}
        other = named(selection, "Otto", StaffRole.EVALUATOR)
        assert await listed(other) == {str(waiting), str(scored), str(declared)}
