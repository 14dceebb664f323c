"""The pay report: counts and amounts per promotion and band, and the equity check line."""

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from libs.messages.contract_events import ContractStatus
from services.contracts.bootstrap import Contracts
from services.contracts.read_model import record_contract_event
from tests.unit.services.contracts.conftest import bearer, seed
from tests.unit.services.contracts.events import T0, ContractStory, terms

NUMBERS = itertools.count(1)


async def seed_terms(contracts: Contracts, status: ContractStatus, **fields: Any) -> None:
    number = f"EIG-{fields.get('promotion', 7)}-{next(NUMBERS):04d}"
    await seed(contracts, status, ContractStory(terms=terms(number=number, **fields)))


async def report(client: httpx.AsyncClient, tokens: dict[str, str], **params: int) -> Any:
    response = await client.get(
        "/api/v1/reports/pay", params=params, headers=bearer(tokens, "staff")
    )
    assert response.status_code == 200
    return response.json()


class TestPayReport:
    async def test_counts_and_totals_per_band_leave_out_failed_offers(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        for status in (ContractStatus.OFFER_SENT, ContractStatus.SIGNED, ContractStatus.ACTIVE):
            await seed_terms(contracts, status)
        await seed_terms(contracts, ContractStatus.ACTIVE, band="over_10_years", years=14)
        await seed_terms(contracts, ContractStatus.DECLINED)
        await seed_terms(contracts, ContractStatus.OFFER_EXPIRED, band="over_10_years", years=11)

        body = await report(client, tokens)

        assert "declined" not in body["counted_statuses"]
        assert "offer_expired" not in body["counted_statuses"]
        assert {"drafted", "offer_sent", "signed", "active", "renewed", "ended"} <= set(
            body["counted_statuses"]
        )
        [promotion] = body["promotions"]
        assert promotion["promotion_number"] == 7
        assert promotion["contracts"] == 4
        lower, higher = promotion["bands"]
        assert (lower["band"], lower["contracts"], lower["monthly_net_eur"]) == (
            "up_to_10_years",
            3,
            "4250.00",
        )
        assert Decimal(lower["annual_fixed_net_eur_total"]) == Decimal("153000")
        assert Decimal(lower["max_annual_variable_eur_total"]) == Decimal("9180")
        assert lower["check"]["identical"] is True
        assert (higher["band"], higher["contracts"], Decimal(higher["variable_percent"])) == (
            "over_10_years",
            1,
            Decimal("10"),
        )
        assert Decimal(higher["max_annual_variable_eur_total"]) == Decimal("6000")
        assert Decimal(promotion["annual_fixed_net_eur_total"]) == Decimal("213000")

    async def test_the_check_line_shows_pay_that_differs_within_a_band(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        await seed_terms(contracts, ContractStatus.ACTIVE)
        await seed_terms(contracts, ContractStatus.ACTIVE, monthly=Decimal("4100.00"))

        [band] = (await report(client, tokens))["promotions"][0]["bands"]

        assert band["check"]["identical"] is False
        assert band["monthly_net_eur"] is None
        assert band["check"]["monthly_net_eur_values"] == ["4100.00", "4250.00"]

    async def test_a_renewed_contract_counts_once_at_its_current_version(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        story = await seed(contracts, ContractStatus.ACTIVE)
        second = terms(
            version=2, band="over_10_years", years=11, start_on=story.terms.end_on + timedelta(1)
        )
        await record_contract_event(
            contracts.sessions,
            story.changed(
                ContractStatus.RENEWED, at=T0 + timedelta(days=400), version_terms=second
            ),
        )

        [band] = (await report(client, tokens))["promotions"][0]["bands"]

        assert (band["band"], band["contracts"]) == ("over_10_years", 1)

    async def test_promotions_are_reported_apart_and_can_be_picked(
        self, client: httpx.AsyncClient, tokens: dict[str, str], contracts: Contracts
    ) -> None:
        await seed_terms(contracts, ContractStatus.ACTIVE)
        await seed_terms(contracts, ContractStatus.ENDED, promotion=6)

        everything = await report(client, tokens)
        only_sixth = await report(client, tokens, promotion=6)

        assert [item["promotion_number"] for item in everything["promotions"]] == [6, 7]
        assert [item["promotion_number"] for item in only_sixth["promotions"]] == [6]

    async def test_the_report_is_for_staff_and_admins(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        anonymous = await client.get("/api/v1/reports/pay")
        evaluator = await client.get("/api/v1/reports/pay", headers=bearer(tokens, "evaluator"))
        admin = await client.get("/api/v1/reports/pay", headers=bearer(tokens, "admin"))

        assert (anonymous.status_code, evaluator.status_code, admin.status_code) == (401, 403, 200)

    async def test_the_openapi_document_says_which_statuses_count(
        self, client: httpx.AsyncClient
    ) -> None:
        operation = (await client.get("/openapi.json")).json()["paths"]["/api/v1/reports/pay"]

        description = operation["get"]["description"]
        assert "drafted, offer_sent, accepted, signed, active, renewal_due, renewed, ended" in (
            description
        )
        assert "declined and expired offers are left out" in description
