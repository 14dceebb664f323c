"""The console's pages over a fake staff API: sign-in, session, dashboard, dossier list,
dossier page and its actions."""

import csv
import io

import httpx
from starlette.requests import Request

from libs.auth import StaffRole
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.web.csrf import CSRF_COOKIE, CsrfTokens
from services.console.bootstrap import Console
from services.console.pages import CONSOLE_CSRF_COOKIE
from services.console.sessions import SESSION_COOKIE
from services.selection.schemas import TimelineItem
from tests.unit.services.console.conftest import post_form, sign_in
from tests.unit.services.console.fakes import NOW, FakeStaffApi, field_refusal, summary


class TestSignIn:
    async def test_a_page_without_a_session_sends_the_browser_to_sign_in(
        self, browser: httpx.AsyncClient
    ) -> None:
        response = await browser.get("/console/dossiers?tab=tous")

        assert response.status_code == 303
        assert response.headers["location"] == (
            "/console/connexion?suivant=%2Fconsole%2Fdossiers%3Ftab%3Dtous"
        )

    async def test_the_dev_sign_in_opens_a_session_in_an_http_only_lax_cookie(
        self, browser: httpx.AsyncClient, api: FakeStaffApi, console: Console
    ) -> None:
        response = await sign_in(browser, name="Camille Martin", role="jury")

        assert response.status_code == 303
        assert response.headers["location"] == "/console/"
        cookie = next(
            value
            for value in response.headers.get_list("set-cookie")
            if value.startswith(SESSION_COOKIE + "=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # not production
        user = await api.user(await _token(browser, console))
        assert user.name == "Camille Martin"
        assert user.roles == frozenset({StaffRole.JURY})

    async def test_the_dashboard_greets_the_signed_in_person(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser, name="Camille Martin")

        page = await browser.get("/console/")

        assert page.status_code == 200
        assert "Camille Martin" in page.text
        assert "<title>Tableau de bord" in page.text

    async def test_a_missing_name_or_role_shows_the_form_again_with_the_errors(
        self, browser: httpx.AsyncClient
    ) -> None:
        response = await post_form(
            browser, "/console/connexion", "/console/connexion", {"name": " ", "role": "chief"}
        )

        assert response.status_code == 422
        assert "Indiquez votre nom" in response.text
        assert "Choisissez un rôle" in response.text

    async def test_the_dev_sign_in_is_refused_outside_dev_auth_mode(
        self, browser: httpx.AsyncClient, console: Console
    ) -> None:
        object.__setattr__(console.settings, "AUTH_MODE", "oidc")

        response = await sign_in(browser)

        assert response.status_code == 403
        assert SESSION_COOKIE not in response.cookies

    async def test_signing_out_ends_the_session(self, browser: httpx.AsyncClient) -> None:
        await sign_in(browser)

        response = await post_form(browser, "/console/", "/console/deconnexion", {})

        assert response.status_code == 303
        assert (await browser.get("/console/")).status_code == 303

    async def test_an_applicant_page_s_cookie_on_the_same_host_leaves_the_console_s_forms_working(
        self, browser: httpx.AsyncClient
    ) -> None:
        """Cookies are per host, not per port: intake's and contracts' ``eig_csrf`` (signed
        with the link secret) lands beside the console's own and must not replace it."""
        await sign_in(browser)
        await browser.get("/console/")
        applicant_token = CsrfTokens.derived("the applicant pages' key").new()
        browser.cookies.set(CSRF_COOKIE, applicant_token, domain="console.test")

        response = await post_form(browser, "/console/", "/console/deconnexion", {})

        assert response.status_code == 303
        assert browser.cookies[CSRF_COOKIE] == applicant_token  # the console leaves it alone
        assert CONSOLE_CSRF_COOKIE != CSRF_COOKIE

    async def test_an_idle_session_is_over(
        self, browser: httpx.AsyncClient, console: Console
    ) -> None:
        await sign_in(browser)
        object.__setattr__(console.cookies, "idle_seconds", -1)  # every cookie is now too old

        assert (await browser.get("/console/")).status_code == 303

    async def test_each_page_re_issues_the_cookie_so_idle_time_starts_again(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser)

        page = await browser.get("/console/")

        assert any(
            value.startswith(SESSION_COOKIE + "=") for value in page.headers.get_list("set-cookie")
        )


async def _token(browser: httpx.AsyncClient, console: Console) -> str:
    """The bearer token the session carries, as the console reads it."""
    cookie = f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"
    session = console.cookies.read(
        Request({"type": "http", "headers": [(b"cookie", cookie.encode())]})
    )
    assert session is not None
    return session.token


class TestDashboard:
    async def test_it_counts_dossiers_per_stage_and_those_to_handle(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [
            summary("Alpha", kind=DossierKind.PROJECT, status=DossierStatus.IN_EVALUATION),
            summary("Beta", status=DossierStatus.IN_REVIEW, overdue=True),
            summary("Gamma", status=DossierStatus.REJECTED),
        ]
        await sign_in(browser)

        page = (await browser.get("/console/")).text

        assert 'id="count-to-handle">2<' in page
        assert 'id="count-overdue">1<' in page
        assert "En cours d&#39;évaluation" in page or "En cours d'évaluation" in page


class TestDossierList:
    async def test_tabs_split_dossiers_to_handle_from_handled_with_counts(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [
            summary("Open one"),
            summary("Open two"),
            summary("Closed", status=DossierStatus.REJECTED),
        ]
        await sign_in(browser)

        to_handle = (await browser.get("/console/dossiers")).text
        handled = (await browser.get("/console/dossiers?tab=traites")).text

        assert "Open one" in to_handle and "Closed" not in to_handle
        assert "Closed" in handled and "Open one" not in handled
        assert 'fr-badge--no-icon fr-ml-1v">2<' in to_handle  # "to handle" count
        assert 'fr-badge--no-icon fr-ml-1v">3<' in to_handle  # "all" count

    async def test_filters_and_search_go_to_the_api_with_the_user_s_own_token(
        self, browser: httpx.AsyncClient, api: FakeStaffApi, console: Console
    ) -> None:
        api.dossiers = [summary("Data lake"), summary("Chatbot")]
        await sign_in(browser)
        token = await _token(browser, console)

        page = await browser.get("/console/dossiers?tab=tous&q=lake&kind=candidate&sort=title")

        assert "Data lake" in page.text and "Chatbot" not in page.text
        _, used_token, query = next(call for call in api.calls if call[0] == "list")
        assert used_token == token
        assert (query.q, query.kind, query.sort) == ("lake", "candidate", "title")

    async def test_a_bad_filter_is_the_page_again_with_the_field_s_error(
        self, browser: httpx.AsyncClient
    ) -> None:
        await sign_in(browser)

        page = await browser.get("/console/dossiers?status=lost&curseur=" + "x" * 1001)

        assert page.status_code == 422
        assert 'href="#field-status"' in page.text
        assert 'href="#field-curseur"' in page.text

    async def test_pages_of_twenty_five_with_links_to_the_next_and_back(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [summary(f"Dossier {number:02}") for number in range(30)]
        await sign_in(browser)

        first = (await browser.get("/console/dossiers?tab=tous&sort=title")).text
        assert 'href="/console/dossiers?sort=title&amp;tab=tous&amp;curseur=at:25"' in first
        assert 'aria-disabled="true" role="link">Page précédente' in first
        second = (await browser.get("/console/dossiers?tab=tous&sort=title&curseur=at:25")).text

        assert "Dossier 25" in second and "Dossier 24" not in second
        assert "curseur=at:0" in second  # the previous page
        _, _, query = [call for call in api.calls if call[0] == "list"][-4]
        assert query.cursor == "at:25"

    async def test_the_other_tabs_ask_for_their_totals_alone(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [summary("Open one")]
        await sign_in(browser)

        await browser.get("/console/dossiers")

        limits = sorted(query.limit for kind, _, query in api.calls if kind == "list")
        assert limits == [0, 0, 0, 25]

    async def test_a_capped_total_reads_a_thousand_plus(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [summary("Open one")]
        api.capped_totals = True
        await sign_in(browser)

        page = (await browser.get("/console/dossiers?q=one")).text

        assert "1\u00a0000+ dossier(s)" in page

    async def test_the_csv_export_holds_the_filtered_rows(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.dossiers = [
            summary("Kept", status=DossierStatus.IN_POOL),
            summary("Other", status=DossierStatus.IN_REVIEW),
        ]
        await sign_in(browser)

        response = await browser.get("/console/dossiers?tab=tous&status=in_pool&format=csv")

        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [row["title"] for row in rows] == ["Kept"]
        assert rows[0]["status"] == "in_pool"


class TestDossierPage:
    async def test_it_shows_the_application_and_one_form_per_allowed_action(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_review", "withdraw"]
        await sign_in(browser)

        page = (await browser.get(f"/console/dossiers/{dossier.dossier_id}")).text

        assert "Lovelace" in page
        assert "<dt>Prénom</dt>" in page and "first_name" not in page  # the form's labels
        assert f'action="/console/dossiers/{dossier.dossier_id}/actions/record_review"' in page
        assert "actions/withdraw" not in page  # the applicant's action
        assert 'id="field-record_review-outcome"' in page

    async def test_each_role_is_offered_only_the_actions_its_api_would_take(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_defence", "record_decision"]
        path = f"/console/dossiers/{dossier.dossier_id}"
        shown = {}
        for role in ("staff", "evaluator", "jury", "admin"):
            await sign_in(browser, role=role)
            page = (await browser.get(path)).text
            shown[role] = [
                action for action in api.allowed[dossier.dossier_id] if f"actions/{action}" in page
            ]

        assert shown == {
            "staff": ["record_defence"],
            "evaluator": [],
            "jury": ["record_decision"],
            "admin": ["record_defence", "record_decision"],
        }

    async def test_an_action_goes_through_the_api_then_back_to_the_page(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_review"]
        await sign_in(browser)
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(
            browser,
            path,
            f"{path}/actions/record_review",
            {"outcome": "shortlisted", "note": "Bon profil"},
        )

        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?fait=record_review"
        _, _, (dossier_id, action, body) = api.calls[-1]
        assert (dossier_id, action) == (dossier.dossier_id, "record_review")
        assert body == {"outcome": "shortlisted", "note": "Bon profil"}

    async def test_a_refused_action_shows_the_reason_and_the_allowed_actions(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_interview"]
        await sign_in(browser)
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(
            browser, path, f"{path}/actions/record_review", {"outcome": "shortlisted"}
        )

        assert response.status_code == 409
        assert "refusée dans le statut in_review" in response.text
        assert "Actions possibles : record_interview" in response.text

    async def test_a_missing_field_shows_on_the_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["record_review"]
        await sign_in(browser)
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(browser, path, f"{path}/actions/record_review", {"note": "x"})

        assert response.status_code == 422
        assert 'id="field-record_review-outcome-messages"' in response.text
        assert "Ce champ est obligatoire" in response.text
        assert ">x</textarea>" in response.text  # what was typed is kept

    async def test_the_api_s_field_errors_show_on_the_form(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT)
        api.dossiers = [dossier]
        api.allowed[dossier.dossier_id] = ["sign_partnership"]
        api.refuse_with = field_refusal("signed_on", "Date invalide / Invalid date.")
        await sign_in(browser)
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(
            browser, path, f"{path}/actions/sign_partnership", {"signed_on": "2026-13-45"}
        )

        assert response.status_code == 422
        assert "Date invalide / Invalid date." in response.text

    async def test_a_forged_post_by_the_wrong_role_gets_the_api_s_403(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Projet", kind=DossierKind.PROJECT, status=DossierStatus.DEFENDED)
        api.dossiers = [dossier]
        await sign_in(browser, role="evaluator")
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(
            browser, path, f"{path}/actions/record_decision", {"decision": "selected"}
        )

        assert response.status_code == 403
        assert "Rôle requis / Role required: jury." in response.text

    async def test_an_unknown_dossier_is_a_404_page(self, browser: httpx.AsyncClient) -> None:
        await sign_in(browser)

        response = await browser.get("/console/dossiers/1f0c1d7e-0000-4000-8000-000000000000")

        assert response.status_code == 404
        assert "Dossier introuvable" in response.text


class TestFollowing:
    async def test_a_followed_dossier_is_in_the_followed_tab_until_unfollowed(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        followed, other = summary("Dossier Xylophone"), summary("Autre")
        api.dossiers = [followed, other]
        await sign_in(browser)
        path = f"/console/dossiers/{followed.dossier_id}"

        response = await post_form(browser, path, f"{path}/suivre", {})
        tab = (await browser.get("/console/dossiers?tab=suivis")).text

        assert response.status_code == 303
        assert "Dossier Xylophone" in tab and "Autre" not in tab
        assert 'id="unfollow"' in (await browser.get(path)).text
        await post_form(browser, path, f"{path}/ne-plus-suivre", {})
        assert "Dossier Xylophone" not in (await browser.get("/console/dossiers?tab=suivis")).text

    async def test_each_person_follows_their_own_dossiers(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Dossier Xylophone")
        api.dossiers = [dossier]
        await sign_in(browser, name="Camille")
        path = f"/console/dossiers/{dossier.dossier_id}"
        await post_form(browser, path, f"{path}/suivre", {})

        await sign_in(browser, name="Dominique")

        assert "Dossier Xylophone" not in (await browser.get("/console/dossiers?tab=suivis")).text


class TestComments:
    async def test_a_comment_shows_in_the_thread_with_its_author(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        await sign_in(browser, name="Camille Martin")
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(
            browser, path, f"{path}/commentaires", {"body": "Appeler la référente"}
        )
        page = (await browser.get(path)).text

        assert response.status_code == 303
        thread = page[page.index('id="comment-list"') :]
        assert "Camille Martin" in thread and "Appeler la référente" in thread

    async def test_a_blank_comment_is_the_form_again_with_its_error(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        await sign_in(browser)
        path = f"/console/dossiers/{dossier.dossier_id}"

        response = await post_form(browser, path, f"{path}/commentaires", {"body": "  "})

        assert response.status_code == 422
        assert 'id="field-comment-body-message-error"' in response.text
        assert api.comments == []


class TestTimeline:
    async def test_each_step_names_who_took_it(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        dossier = summary("Ada")
        api.dossiers = [dossier]
        api.timeline[dossier.dossier_id] = [
            TimelineItem(
                status=DossierStatus.INTERVIEW,
                at=NOW,
                action="record_review",
                outcome="shortlisted",
                actor="dev-staff-camille",
                actor_name="Camille Martin",
                note="",
            )
        ]
        await sign_in(browser)

        page = (await browser.get(f"/console/dossiers/{dossier.dossier_id}")).text

        timeline = page[page.index('id="timeline"') :]
        assert "Camille Martin" in timeline and "dev-staff-camille" in timeline
        # The action and its outcome by their labels, not the API's names.
        assert "Examiner la candidature (Présélectionné (entretien))" in timeline
        assert "record_review" not in timeline
