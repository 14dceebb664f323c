"""The evaluators', the jury's and the bulk pages over the fake staff API: scorecards (nine
criteria 0–3, editing one's own, conflict of interest), rounds (admins create them; the jury's
form closed before the cut-off), and a bulk action's per-dossier results."""

from datetime import timedelta
from uuid import UUID

import httpx

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.console.pages import CONSOLE_CSRF_COOKIE
from services.selection.api.rounds import RoundDetailPublic
from tests.unit.services.console.conftest import post_form, sign_in
from tests.unit.services.console.fakes import NOW, FakeStaffApi, summary
from workflows.promotion.models import RoundState

PROJECT_CRITERIA = (
    "proven_problem",
    "major_problem",
    "actionable_problem",
    "product_approach_fit",
    "sponsorship",
    "autonomy",
    "priority_policy",
    "roadmap",
    "entrepreneurial_ambition",
)


def full_scorecard(score: str = "2") -> dict[str, str]:
    return {
        "kind": "project",
        "comment": "Solide",
        **{f"score-{criterion}": score for criterion in PROJECT_CRITERIA},
    }


class TestEvaluations:
    async def test_the_list_holds_the_dossiers_waiting_for_my_scorecard(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        waiting = summary("Projet à noter", kind=DossierKind.PROJECT)
        declared = summary("Projet en conflit", kind=DossierKind.PROJECT)
        api.dossiers = [waiting, declared]
        await sign_in(browser, name="Eva Luation", role="evaluator")
        await post_form(
            browser,
            f"/console/evaluations/{declared.dossier_id}",
            f"/console/evaluations/{declared.dossier_id}/conflit",
            {"reason": "Ancien employeur"},
        )

        page = (await browser.get("/console/evaluations")).text

        assert "Projet à noter" in page and "Projet en conflit" not in page

    async def test_the_scorecard_has_nine_labelled_criteria_scored_zero_to_three(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT)
        api.dossiers = [dossier]
        await sign_in(browser, role="evaluator")

        page = (await browser.get(f"/console/evaluations/{dossier.dossier_id}")).text

        assert page.count('name="score-') == 9 * 4
        assert "Portage à haut niveau" in page and "3 – excellent" in page

    async def test_a_complete_scorecard_is_saved_then_shown_for_editing(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT)
        api.dossiers = [dossier]
        await sign_in(browser, role="evaluator")
        path = f"/console/evaluations/{dossier.dossier_id}"

        saved = await post_form(browser, path, path, full_scorecard("3"))
        page = (await browser.get(path)).text

        assert saved.status_code == 303
        _, _, (_, body, evaluation_id) = api.calls[-1]
        assert body["scores"] == dict.fromkeys(PROJECT_CRITERIA, 3)
        assert evaluation_id is None
        assert 'id="editing"' in page and 'name="evaluation_id" value="1"' in page
        assert 'value="3" checked' in page
        await post_form(browser, path, path, {**full_scorecard("1"), "evaluation_id": "1"})
        assert api.calls[-1][2][2] == 1  # the same scorecard, changed

    async def test_a_criterion_left_unscored_is_named_on_the_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT)
        api.dossiers = [dossier]
        await sign_in(browser, role="evaluator")
        path = f"/console/evaluations/{dossier.dossier_id}"
        form = full_scorecard()
        del form["score-roadmap"]

        response = await post_form(browser, path, path, form)

        assert response.status_code == 422
        assert 'href="#field-score-roadmap"' in response.text
        assert not [call for call in api.calls if call[0] == "evaluation"]

    async def test_after_a_conflict_declaration_there_is_no_scorecard_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT)
        api.dossiers = [dossier]
        await sign_in(browser, role="evaluator")
        path = f"/console/evaluations/{dossier.dossier_id}"

        await post_form(browser, path, f"{path}/conflit", {"reason": ""})
        page = (await browser.get(path)).text

        assert 'id="conflicted"' in page and 'id="scorecard-form"' not in page

    async def test_the_programme_team_is_told_the_page_is_the_evaluators(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser, role="staff")

        page = (await browser.get("/console/evaluations")).text

        assert 'id="not-evaluator"' in page


def a_round(state: RoundState, dossier_ids: list[UUID]) -> RoundDetailPublic:
    return RoundDetailPublic(
        promotion_number=7,
        round_id="7-project-2026-12",
        kind=DossierKind.PROJECT,
        state=state,
        cutoff_at=NOW + timedelta(days=3),
        deliberation_at=NOW + timedelta(days=10),
        dossier_ids=dossier_ids,
        seats_left=12,
    )


class TestRounds:
    async def test_admins_see_the_creation_form_and_create_a_round(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="admin")

        page = (await browser.get("/console/rounds")).text
        response = await post_form(
            browser,
            "/console/rounds",
            "/console/rounds",
            {
                "promotion_number": "7",
                "kind": "project",
                "cutoff_at": "2026-12-20T18:00",
                "deliberation_at": "2026-12-27T10:00",
                "round_id": "7-project-court",
            },
        )

        assert 'id="round-form"' in page
        assert response.status_code == 303
        _, _, body = next(call for call in api.calls if call[0] == "create_round")
        assert body["cutoff_at"] == "2026-12-20T18:00:00+01:00"  # Paris time, winter
        assert "7-project-court" in (await browser.get(response.headers["location"])).text

    async def test_a_bad_date_shows_on_the_creation_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser, role="admin")

        response = await post_form(
            browser,
            "/console/rounds",
            "/console/rounds",
            {"promotion_number": "7", "kind": "project", "cutoff_at": "demain"},
        )

        assert response.status_code == 422
        assert 'href="#field-cutoff_at"' in response.text
        assert 'href="#field-deliberation_at"' in response.text

    async def test_others_have_no_creation_form_and_a_forged_post_gets_the_api_s_403(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser, role="staff")

        page = (await browser.get("/console/rounds")).text
        response = await post_form(
            browser,
            "/console/rounds",
            "/console/rounds",
            {
                "promotion_number": "7",
                "kind": "project",
                "cutoff_at": "2026-12-20T18:00",
                "deliberation_at": "2026-12-27T10:00",
            },
        )

        assert 'id="round-form"' not in page
        assert response.status_code == 403
        assert "Role required: admin" in response.text

    async def test_before_the_cut_off_the_jury_s_form_says_until_when_it_is_closed(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED)
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_decision"]
        api.rounds = [a_round(RoundState.OPEN, [dossier.dossier_id])]
        await sign_in(browser, role="jury")

        page = (await browser.get("/console/rounds/7-project-2026-12")).text

        assert f'id="decision-closed-{dossier.dossier_id}"' in page
        assert "fermé jusqu’à la date limite" in page
        assert f'id="decision-{dossier.dossier_id}"' not in page

    async def test_a_forced_decision_before_the_cut_off_shows_the_api_s_refusal(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED)
        api.dossiers = [dossier]
        api.rounds = [a_round(RoundState.OPEN, [dossier.dossier_id])]
        await sign_in(browser, role="jury")
        path = "/console/rounds/7-project-2026-12"

        response = await post_form(
            browser,
            path,
            f"{path}/decisions",
            {"dossier_id": str(dossier.dossier_id), "decision": "selected"},
        )

        assert response.status_code == 409
        assert "encore ouverte" in response.text

    async def test_after_the_cut_off_the_jury_decides_per_dossier(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED)
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_decision"]
        api.rounds = [a_round(RoundState.DELIBERATING, [dossier.dossier_id])]
        await sign_in(browser, role="jury")
        path = "/console/rounds/7-project-2026-12"

        page = (await browser.get(path)).text
        response = await post_form(
            browser,
            path,
            f"{path}/decisions",
            {"dossier_id": str(dossier.dossier_id), "decision": "selected", "note": "Bravo"},
        )

        assert f'id="decision-{dossier.dossier_id}"' in page
        card = page[page.index(f'id="dossier-{dossier.dossier_id}"') :]
        # DSFR draws a card's title before anything in its content but its end: the form is
        # there, under the dossier's title.
        end = card.index('<div class="fr-card__end">')
        assert card.index('class="fr-card__title"') < end < card.index('id="decision-')
        assert response.status_code == 303
        assert api.decisions == [
            (
                "7-project-2026-12",
                {"dossier_id": str(dossier.dossier_id), "decision": "selected", "note": "Bravo"},
            )
        ]

    async def test_an_evaluator_sees_no_jury_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED)
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_decision"]
        api.rounds = [a_round(RoundState.DELIBERATING, [dossier.dossier_id])]
        await sign_in(browser, role="evaluator")

        page = (await browser.get("/console/rounds/7-project-2026-12")).text

        assert "Projet" in page and f'id="decision-{dossier.dossier_id}"' not in page


class TestBulkAction:
    async def test_each_selected_dossier_gets_its_own_result(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        allowed, refused = summary("Ada"), summary("Grace", status=DossierStatus.INTERVIEW)
        api.dossiers = [allowed, refused]
        api.allowed[allowed.dossier_id] = ["record_review"]
        api.allowed[refused.dossier_id] = ["record_interview"]
        await sign_in(browser)

        await browser.get("/console/dossiers")
        response = await browser.post(
            "/console/dossiers/lot",
            data={
                "csrf_token": str(browser.cookies[CONSOLE_CSRF_COOKIE]),
                "operation": "record_review:shortlisted",
                "note": "Profil retenu",
                "dossier_ids": [str(allowed.dossier_id), str(refused.dossier_id)],
            },
        )

        assert response.status_code == 200
        page = response.text
        applied_row = page[page.index(f'id="result-{allowed.dossier_id}"') :]
        refused_row = page[page.index(f'id="result-{refused.dossier_id}"') :]
        assert "Appliquée" in applied_row.split("</tr>")[0]
        assert "Refusée" in refused_row.split("</tr>")[0]
        assert "refusée dans le statut interview" in refused_row.split("</tr>")[0]
        bodies = [call[2][2] for call in api.calls if call[0] == "action"]
        assert bodies == [{"outcome": "shortlisted", "note": "Profil retenu"}] * 2

    async def test_nothing_selected_applies_nothing(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser)

        response = await post_form(
            browser, "/console/dossiers", "/console/dossiers/lot", {"operation": "record_defence"}
        )

        assert response.status_code == 422
        assert "Sélectionnez au moins un dossier" in response.text
        assert not [call for call in api.calls if call[0] == "action"]

    async def test_the_list_offers_a_checkbox_per_dossier(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        await sign_in(browser)

        page = (await browser.get("/console/dossiers")).text

        assert f'id="select-{dossier.dossier_id}"' in page and 'id="bulk-submit"' in page
        # In DSFR's fixed cell of its own row (a bare checkbox group drops out of the row),
        # named for screen readers.
        row = page[: page.index(f'id="select-{dossier.dossier_id}"')].rsplit("<tr>", 1)[1]
        assert '<td class="fr-cell--fixed">' in row
        assert '<th scope="col" class="fr-cell--fixed">Sélection</th>' in page
        assert f'for="select-{dossier.dossier_id}">Sélectionner Ada</label>' in page
