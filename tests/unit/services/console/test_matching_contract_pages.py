"""The dashboard's rounds, seats and offers, the matching page and the contract pages over
the fake staff API: what each role is shown, actions posted with the user's token, a forged
post by the wrong role shown as the API's 403, field errors on the form."""

from datetime import timedelta

import httpx

from libs.messages.common import DossierKind
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import DossierStatus
from services.contracts.schemas import TimelineItem
from services.selection.api.rounds import PromotionPublic, RoundDetailPublic
from tests.unit.services.console.conftest import post_form, sign_in
from tests.unit.services.console.fakes import NOW, FakeStaffApi, contract, summary
from workflows.promotion.models import RoundState


def open_round(round_id: str = "7-project-2026-12") -> RoundDetailPublic:
    return RoundDetailPublic(
        promotion_number=7,
        round_id=round_id,
        kind=DossierKind.PROJECT,
        state=RoundState.OPEN,
        cutoff_at=NOW + timedelta(days=3),
        deliberation_at=NOW + timedelta(days=10),
        dossier_ids=[],
        seats_left=28,
    )


class TestDashboard:
    async def test_it_shows_open_rounds_seats_used_and_offers_awaiting_an_answer(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        closed = open_round("7-project-2026-10").model_copy(update={"state": RoundState.CLOSED})
        api.rounds = [open_round(), closed]
        api.promotions = [
            PromotionPublic(number=7, year=2024, seat_cap=30, seats_taken=2, seats_left=28)
        ]
        api.contracts = [
            contract(status=ContractStatus.OFFER_SENT),
            contract(status=ContractStatus.OFFER_SENT),
            contract(status=ContractStatus.SIGNED),
        ]
        await sign_in(browser)

        page = (await browser.get("/console/")).text

        assert "7-project-2026-12" in page and "7-project-2026-10" not in page
        assert '<td id="seats-7">2 / 30</td>' in page
        assert '<span class="eig-figure" id="count-offers">2</span>' in page

    async def test_an_evaluator_sees_no_contract_figure_nor_contract_menu(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.contracts = [contract(status=ContractStatus.OFFER_SENT)]
        await sign_in(browser, role="evaluator")

        page = (await browser.get("/console/")).text

        assert 'id="count-offers"' not in page
        assert 'href="/console/contracts"' not in page and 'href="/console/matching"' not in page
        assert 'href="/console/evaluations"' in page


def project(title: str, wanted: list[str]) -> tuple[object, dict[str, object]]:
    return summary(title, kind=DossierKind.PROJECT, status=DossierStatus.PARTNERSHIP_SIGNED), {
        "project_title": title,
        "administration_name": "Ministère des Tests",
        "profiles_wanted": wanted,
    }


class TestMatching:
    def seed(self, api: FakeStaffApi) -> dict[str, object]:
        wants_tech, tech_app = project("Projet technique", ["technical_director"])
        wants_product, product_app = project("Projet produit", ["product_director"])
        pooled = summary("technical_director", status=DossierStatus.IN_POOL)
        matched = summary("product_director", status=DossierStatus.MATCHED)
        api.dossiers = [wants_tech, wants_product, pooled, matched]  # type: ignore[list-item]
        api.applications = {
            wants_tech.dossier_id: tech_app,  # type: ignore[attr-defined]
            wants_product.dossier_id: product_app,  # type: ignore[attr-defined]
            pooled.dossier_id: {
                "first_name": "Grace",
                "last_name": "Hopper",
                "role": "technical_director",
                "years_of_experience": 12,
            },
            matched.dossier_id: {"first_name": "Alan", "role": "product_director"},
        }
        api.allowed = {
            pooled.dossier_id: ["propose_match"],
            matched.dossier_id: ["record_joint_interview"],
        }
        return {"tech": wants_tech, "product": wants_product, "pooled": pooled, "matched": matched}

    async def test_projects_and_their_profiles_beside_the_pool_each_proposed_what_fits(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        seeded = self.seed(api)
        await sign_in(browser)

        page = (await browser.get("/console/matching")).text

        assert "Projet technique" in page and "Projet produit" in page
        assert "Grace Hopper" in page and "Alan" in page
        pooled = seeded["pooled"].dossier_id  # type: ignore[attr-defined]
        form = page.split(f'id="propose-{pooled}"')[1].split("</form>")[0]
        assert str(seeded["tech"].dossier_id) in form  # type: ignore[attr-defined]
        assert str(seeded["product"].dossier_id) not in form  # type: ignore[attr-defined]
        assert 'id="joint-' in page

    async def test_the_role_filter_keeps_the_projects_and_candidates_of_that_role(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        self.seed(api)
        await sign_in(browser)

        page = (await browser.get("/console/matching?role=product_director")).text

        assert "Projet produit" in page and "Projet technique" not in page
        assert "Grace Hopper" not in page

    async def test_an_unknown_role_is_refused_naming_it(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser)

        answer = await browser.get("/console/matching?role=astronaut")

        assert answer.status_code == 422 and "astronaut" in answer.text

    async def test_proposing_a_match_goes_through_the_action_and_comes_back(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        seeded = self.seed(api)
        token_cookie = await sign_in(browser)
        assert token_cookie.status_code == 303
        pooled = seeded["pooled"].dossier_id  # type: ignore[attr-defined]
        tech = seeded["tech"].dossier_id  # type: ignore[attr-defined]

        answer = await post_form(
            browser,
            "/console/matching",
            f"/console/dossiers/{pooled}/actions/propose_match",
            {
                "project_dossier_id": str(tech),
                "retour": "/console/matching?role=technical_director",
            },
        )

        assert answer.status_code == 303
        assert answer.headers["location"] == (
            "/console/matching?role=technical_director&fait=propose_match"
        )
        assert api.calls[-1][2] == (pooled, "propose_match", {"project_dossier_id": str(tech)})

    async def test_a_return_path_off_the_console_is_ignored(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        seeded = self.seed(api)
        await sign_in(browser)
        matched = seeded["matched"].dossier_id  # type: ignore[attr-defined]

        answer = await post_form(
            browser,
            "/console/matching",
            f"/console/dossiers/{matched}/actions/record_joint_interview",
            {"outcome": "selected", "retour": "https://evil.example/"},
        )

        assert answer.headers["location"] == "/console/?fait=record_joint_interview"


class TestContracts:
    async def test_the_list_is_by_status_with_counts(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        api.contracts = [
            contract("Ada Lovelace", status=ContractStatus.OFFER_SENT),
            contract("Grace Hopper", status=ContractStatus.SIGNED),
        ]
        await sign_in(browser)

        every = (await browser.get("/console/contracts")).text
        offers = (await browser.get("/console/contracts?status=offer_sent")).text

        assert "Ada Lovelace" in every and "Grace Hopper" in every
        assert "Ada Lovelace" in offers and "Grace Hopper" not in offers
        assert 'href="/console/contracts?status=signed"' in every

    async def test_the_contract_page_shows_terms_documents_and_the_allowed_actions(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        drafted = contract()
        api.contracts = [drafted]
        await sign_in(browser)

        page = (await browser.get(f"/console/contracts/{drafted.contract_id}")).text

        assert "EIG-7-0001" in page and "5\u00a0000,00\u00a0€" in page
        assert 'id="action-set_start_date"' in page and 'type="date"' in page
        assert 'id="action-send_offer"' in page
        assert f'href="/console/contracts/{drafted.contract_id}/document.pdf"' in page

    async def test_the_contract_timeline_names_who_took_each_step(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        step = TimelineItem(
            event="status_changed",
            status=ContractStatus.SIGNED,
            at=NOW,
            action="countersign",
            actor="dev-admin-alex-admin",
            actor_name="Alex Admin",
            note="DINUM",
            version=1,
        )
        signed = contract(status=ContractStatus.SIGNED).model_copy(update={"timeline": [step]})
        api.contracts = [signed]
        await sign_in(browser)

        page = (await browser.get(f"/console/contracts/{signed.contract_id}")).text

        timeline = page[page.index('id="contract-timeline"') :]
        assert "Alex Admin" in timeline and "dev-admin-alex-admin" in timeline
        # Every cell wraps (as the ops page's): the actor's column is not cut off.
        row = timeline[timeline.index("<tbody>") : timeline.index("</tbody>")]
        assert row.count('<td class="fr-cell--multiline">') == 5 and "<td>" not in row

    async def test_the_band_reads_as_its_label_in_french_then_english(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        drafted = contract()
        api.contracts = [drafted]
        await sign_in(browser)

        french = (await browser.get(f"/console/contracts/{drafted.contract_id}")).text
        english = (await browser.get(f"/console/contracts/{drafted.contract_id}?lang=en")).text

        assert '<dd id="contract-band">Plus de 10 ans d’expérience</dd>' in french
        assert '<dd id="contract-band">Over 10 years of experience</dd>' in english
        assert "over_10_years" not in french

    async def test_the_offers_deadline_shows_only_while_the_offer_is_open(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        deadline = {"offer_expires_at": NOW + timedelta(days=7)}
        sent = contract(status=ContractStatus.OFFER_SENT).model_copy(update=deadline)
        signed = contract(status=ContractStatus.SIGNED).model_copy(update=deadline)
        api.contracts = [sent, signed]
        await sign_in(browser)

        open_offer = (await browser.get(f"/console/contracts/{sent.contract_id}")).text
        signed_page = (await browser.get(f"/console/contracts/{signed.contract_id}")).text

        assert "Proposition valable jusqu’au" in open_offer
        assert "Proposition valable jusqu’au" not in signed_page

    async def test_countersigning_is_shown_to_admins_only(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        accepted = contract(status=ContractStatus.ACCEPTED, allowed_actions=("countersign",))
        api.contracts = [accepted]
        path = f"/console/contracts/{accepted.contract_id}"
        await sign_in(browser)
        staff_page = (await browser.get(path)).text
        await sign_in(browser, name="Alex Admin", role="admin")
        admin_page = (await browser.get(path)).text

        assert 'id="action-countersign"' not in staff_page and 'id="awaits-admin"' in staff_page
        assert 'id="action-countersign"' in admin_page

    async def test_a_forged_countersign_by_staff_gets_the_apis_403(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        accepted = contract(status=ContractStatus.ACCEPTED, allowed_actions=("countersign",))
        api.contracts = [accepted]
        await sign_in(browser)
        path = f"/console/contracts/{accepted.contract_id}"

        answer = await post_form(browser, path, f"{path}/actions/countersign", {})

        assert answer.status_code == 403 and "Role required: admin" in answer.text

    async def test_an_action_posts_the_form_as_the_body_with_the_users_token(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        signed = contract(status=ContractStatus.SIGNED, allowed_actions=("decide_renewal",))
        api.contracts = [signed]
        await sign_in(browser)
        path = f"/console/contracts/{signed.contract_id}"

        answer = await post_form(
            browser, path, f"{path}/actions/decide_renewal", {"renew": "true", "note": "Bravo"}
        )

        assert answer.status_code == 303 and answer.headers["location"].endswith(
            "?fait=decide_renewal"
        )
        name, token, (contract_id, action, body) = api.calls[-1]
        assert (name, contract_id, action) == ("contract_action", signed.contract_id, action)
        assert body == {"renew": True, "note": "Bravo"}
        user = await api.user(token)
        assert user.name == "Camille Martin"

    async def test_a_missing_field_is_the_form_again_with_its_error(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        drafted = contract()
        api.contracts = [drafted]
        await sign_in(browser)
        path = f"/console/contracts/{drafted.contract_id}"

        answer = await post_form(browser, path, f"{path}/actions/set_start_date", {})

        assert answer.status_code == 422
        assert 'id="field-set_start_date-start_on-messages"' in answer.text
        assert "Ce champ est obligatoire" in answer.text
        assert not any(call[0] == "contract_action" for call in api.calls)

    async def test_a_refused_action_shows_the_workflows_reason(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        drafted = contract(allowed_actions=("set_start_date",))
        api.contracts = [drafted]
        await sign_in(browser)
        path = f"/console/contracts/{drafted.contract_id}"

        answer = await post_form(browser, path, f"{path}/actions/send_offer", {})

        assert answer.status_code == 409
        assert 'id="action-refused"' in answer.text and "set_start_date" in answer.text

    async def test_the_documents_come_from_the_api_with_the_users_token(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        drafted = contract()
        api.contracts = [drafted]
        await sign_in(browser)
        path = f"/console/contracts/{drafted.contract_id}"

        html = await browser.get(f"{path}/document.html")
        pdf = await browser.get(f"{path}/document.pdf")

        assert html.status_code == 200 and "EIG-7-0001" in html.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert (await browser.get(f"{path}/document.docx")).status_code == 422

    async def test_evaluators_get_the_apis_403_and_the_pay_report_is_the_teams(
        self, browser: httpx.AsyncClient, api: FakeStaffApi
    ) -> None:
        await sign_in(browser)
        report = await browser.get("/console/contracts/rapport-paie")
        await sign_in(browser, role="evaluator")
        refused = await browser.get("/console/contracts")

        assert report.status_code == 200 and "Rapport de rémunération" in report.text
        assert refused.status_code == 403 and "Role required: staff" in refused.text
