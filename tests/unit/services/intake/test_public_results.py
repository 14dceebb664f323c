"""The public results: dossier and contract events in, figures out (JSON, CSV, page); a
replayed or late event changes nothing; bad query parameters get a 4xx naming the field."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from libs.messages.common import DossierKind, Role
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import Detail, DossierStatus
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.read_model import (
    record_results_contract_event,
    record_results_dossier_event,
    seat_cap,
)
from services.intake.schemas import PromotionResults
from services.intake.service_layer import UnknownPromotion, public_results
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)
from tests.unit.services.intake.results_events import (
    APRIL,
    MARCH,
    PromotionStory,
    contract_event,
    dossier_event,
    promotion_story,
    renewal,
    terms,
)

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RESULTS_API = "/api/v1/public/results"


async def tell(intake: Intake, story: PromotionStory) -> None:
    for event in story.dossier_events:
        await record_results_dossier_event(intake.sessions, event, default_promotion=7)
    for contract in story.contract_events:
        await record_results_contract_event(intake.sessions, contract)


async def promotion(intake: Intake, number: int = 7) -> PromotionResults:
    results = await public_results(intake.sessions, current_promotion=7, promotion=number)
    return results.promotions[0]


class TestProjection:
    async def test_a_promotion_s_story_gives_its_figures(self, intake: Intake) -> None:
        await tell(intake, promotion_story())

        results = await promotion(intake)

        assert [(r.month, r.kind, r.count) for r in results.applications_received] == [
            ("2026-03", DossierKind.CANDIDATE, 2),
            ("2026-03", DossierKind.PROJECT, 2),
            ("2026-04", DossierKind.PROJECT, 1),
        ]
        assert [
            (p.title, p.administration, p.signed_on.isoformat()) for p in results.projects_selected
        ] == [("Signaux faibles", "DINUM", "2026-03-31")]
        assert [(r.role, r.band, r.count) for r in results.eig_recruited] == [
            (Role.TECHNICAL_DIRECTOR, "up_to_10_years", 1)
        ]
        # Two selected, one gave the seat back (back to the pool).
        assert (results.seats.used, results.seats.cap) == (1, 30)
        assert results.contracts_renewed == 1

    async def test_every_event_twice_counts_once(self, intake: Intake) -> None:
        story = promotion_story()
        await tell(intake, story)
        once = await promotion(intake)

        replayed = [
            await record_results_dossier_event(intake.sessions, event, default_promotion=7)
            for event in story.dossier_events
        ] + [
            await record_results_contract_event(intake.sessions, event)
            for event in story.contract_events
        ]

        assert not any(replayed)
        assert await promotion(intake) == once

    async def test_the_same_fact_in_a_new_event_still_counts_once(self, intake: Intake) -> None:
        # A contract signed twice (a republished event with a new id) is still one EIG.
        contract_terms = terms()
        contract_id = uuid4()
        for _ in range(2):
            await record_results_contract_event(
                intake.sessions,
                contract_event(ContractStatus.SIGNED, contract_terms, contract_id=contract_id),
            )
            await record_results_contract_event(
                intake.sessions, renewal(contract_id, contract_terms)
            )

        results = await promotion(intake)
        assert [r.count for r in results.eig_recruited] == [1]
        assert results.contracts_renewed == 1

    async def test_a_late_older_event_does_not_take_the_seat_again(self, intake: Intake) -> None:
        candidate = uuid4()
        back_to_pool = dossier_event(
            DossierStatus.IN_POOL, datetime(2026, 4, 20, tzinfo=UTC), dossier_id=candidate
        )
        selected = dossier_event(
            DossierStatus.SELECTED, APRIL, dossier_id=candidate, details={Detail.SEATS: "1/30"}
        )
        for event in (back_to_pool, selected):
            await record_results_dossier_event(intake.sessions, event, default_promotion=7)

        assert (await promotion(intake)).seats.used == 0

    async def test_events_from_before_the_promotion_was_told_count_in_the_current_one(
        self, intake: Intake
    ) -> None:
        old = dossier_event(DossierStatus.RECEIVED, MARCH, promotion=None)
        await record_results_dossier_event(intake.sessions, old, default_promotion=7)

        assert [r.count for r in (await promotion(intake)).applications_received] == [1]

    async def test_contract_steps_that_count_nothing_are_not_recorded(self, intake: Intake) -> None:
        contract_terms = terms()
        contract_id = uuid4()
        ignored = [
            contract_event(status, contract_terms, contract_id=contract_id)
            for status in (ContractStatus.DRAFTED, ContractStatus.OFFER_SENT, ContractStatus.ACTIVE)
        ]
        for event in ignored:
            assert await record_results_contract_event(intake.sessions, event) is False
        refused = renewal(contract_id, contract_terms, renew=False)
        assert await record_results_contract_event(intake.sessions, refused) is False

        results = await promotion(intake)
        assert (results.eig_recruited, results.contracts_renewed) == ([], 0)

    async def test_promotions_are_kept_apart(self, intake: Intake) -> None:
        await tell(intake, promotion_story(promotion=8))

        assert (await promotion(intake, 7)).applications_received == []
        eighth = await promotion(intake, 8)
        assert eighth.seats.used == 1
        everything = await public_results(intake.sessions, current_promotion=7)
        assert [p.promotion for p in everything.promotions] == [8, 7]
        with pytest.raises(UnknownPromotion):
            await public_results(intake.sessions, current_promotion=7, promotion=6)

    async def test_a_candidate_s_dossier_never_lists_a_title(self, intake: Intake) -> None:
        selected = dossier_event(DossierStatus.PARTNERSHIP_SIGNED, APRIL, title="not a project")
        await record_results_dossier_event(intake.sessions, selected, default_promotion=7)
        assert (await promotion(intake)).projects_selected == []

    def test_the_seat_cap_is_read_from_the_seats_detail(self) -> None:
        assert seat_cap({Detail.SEATS: "12/30"}) == 30
        assert seat_cap({Detail.SEATS: "12"}) is None
        assert seat_cap({Detail.SEATS: "x/y"}) is None
        assert seat_cap({}) is None


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[Intake, httpx.AsyncClient]]:
    intake = await intake_with_pages(
        tmp_path / "eig.db", InMemoryPromotionCalendar(sample_outlook())
    )
    transport = httpx.ASGITransport(app=create_app(intake=intake))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            yield intake, client
    finally:
        await intake.engine.dispose()


class TestJsonAndCsv:
    async def test_the_json_has_every_promotion_and_no_personal_data(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        intake, client = site
        await tell(intake, promotion_story())

        response = await client.get(RESULTS_API)

        assert response.status_code == 200
        body = response.json()
        assert [p["promotion"] for p in body["promotions"]] == [7]
        assert body["promotions"][0]["seats"] == {"used": 1, "cap": 30}
        assert "Camille" not in response.text and "@" not in response.text
        assert (await client.get(RESULTS_API, params={"promotion": 7})).json() == body

    @pytest.mark.parametrize("value", ["abc", "0", "-1", "1001", "7.5"])
    async def test_a_bad_promotion_is_a_422_naming_the_field(
        self, site: tuple[Intake, httpx.AsyncClient], value: str
    ) -> None:
        _intake, client = site
        for path in (RESULTS_API, "/resultats.csv"):
            response = await client.get(path, params={"promotion": value})
            assert response.status_code == 422, path
            assert [error["field"] for error in response.json()["errors"]] == ["promotion"]

    async def test_a_promotion_without_results_is_a_404_naming_the_field(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        _intake, client = site
        response = await client.get(RESULTS_API, params={"promotion": 3})
        assert response.status_code == 404
        assert response.json()["errors"][0]["field"] == "promotion"

    async def test_the_csv_is_one_tidy_table(self, site: tuple[Intake, httpx.AsyncClient]) -> None:
        intake, client = site
        await tell(intake, promotion_story())

        response = await client.get("/resultats.csv")

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["promotion", "measure", "dimension", "value"]
        assert ["7", "applications_received", "month=2026-03;kind=project", "2"] in rows
        assert ["7", "project_selected", "administration=DINUM;title=Signaux faibles", "1"] in rows
        assert ["7", "eig_recruited", "role=technical_director;band=up_to_10_years", "1"] in rows
        assert ["7", "seats_used", "", "1"] in rows
        assert ["7", "seat_cap", "", "30"] in rows
        assert ["7", "contracts_renewed", "", "1"] in rows

    async def test_the_api_is_documented_with_its_response_model(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        _intake, client = site
        schema = (await client.get("/openapi.json")).json()
        operation = schema["paths"][RESULTS_API]["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/PublicResults"}
        assert {"404", "422"} <= set(operation["responses"])


class TestPage:
    async def test_empty_it_says_so_in_each_table(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        _intake, client = site
        response = await client.get("/resultats", headers=PAGE)
        assert response.status_code == 200
        page = response.text
        assert "Aucun dossier reçu pour l’instant." in page
        assert "Aucun projet retenu pour l’instant." in page
        assert "<svg" not in page.split('id="applications"')[1].split("</figure>")[0]

    async def test_filled_it_has_tables_with_captions_and_row_headers_and_charts(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        intake, client = site
        await tell(intake, promotion_story())

        page = (await client.get("/resultats", headers=PAGE)).text

        assert page.count("<caption") == 5
        assert '<th scope="row">mars 2026</th>' in page
        assert '<th scope="row">Signaux faibles</th><td>DINUM</td>' in page
        assert page.count('role="img"') == 5
        assert "Jusqu’à 10 ans d’expérience" in page
        assert 'id="figure-seats">1 / 30<' in page
        assert "<script>" not in page and "style=" not in page
        assert "Camille" not in page

    async def test_in_english(self, site: tuple[Intake, httpx.AsyncClient]) -> None:
        intake, client = site
        await tell(intake, promotion_story())
        page = (await client.get("/resultats?lang=en", headers=PAGE)).text
        assert "Applications received per month" in page
        assert '<th scope="row">March 2026</th>' in page
        assert "Up to 10 years of experience" in page

    async def test_the_selector_lists_each_promotion(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        intake, client = site
        await tell(intake, promotion_story(promotion=8))
        page = (await client.get("/resultats?promotion=8", headers=PAGE)).text
        assert '<option value="8" selected>' in page
        assert '<option value="7">' in page
        assert 'href="/resultats.csv?promotion=8"' in page

    async def test_a_bad_promotion_gets_an_error_page(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        _intake, client = site
        bad = await client.get("/resultats?promotion=abc", headers=PAGE)
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("text/html")
        unknown = await client.get("/resultats?promotion=3", headers=PAGE)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("text/html")

    async def test_linked_from_the_landing_page_and_every_footer(
        self, site: tuple[Intake, httpx.AsyncClient]
    ) -> None:
        _intake, client = site
        landing = (await client.get("/", headers=PAGE)).text
        assert 'id="results-link"' in landing
        legal = (await client.get("/mentions-legales", headers=PAGE)).text
        assert 'href="/resultats">Résultats du programme</a>' in legal
