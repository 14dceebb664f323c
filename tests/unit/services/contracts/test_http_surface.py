"""Findings of the OpenAPI fuzzer on the contracts API, each kept as a regression test."""

import httpx
import pytest

from tests.unit.services.contracts.conftest import bearer

TOO_BIG = 259404711486726471680  # past SQLite's 2**63-1: it used to reach the database (500)


class TestBoundedIntegers:
    @pytest.mark.parametrize(
        ("path", "parameter"),
        [
            ("/api/v1/reports/pay", "promotion"),
            ("/api/v1/contracts", "promotion"),
            ("/api/v1/contracts", "offset"),
        ],
    )
    async def test_an_integer_past_the_columns_range_is_a_422_naming_it(
        self, client: httpx.AsyncClient, tokens: dict[str, str], path: str, parameter: str
    ) -> None:
        response = await client.get(
            path, params={parameter: TOO_BIG}, headers=bearer(tokens, "staff")
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == [parameter]

    async def test_the_largest_bound_is_still_answered(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/contracts",
            params={"promotion": 2**31 - 1, "offset": 2**31 - 1},
            headers=bearer(tokens, "staff"),
        )

        assert response.status_code == 200
        assert response.json()["items"] == []


class TestDocument:
    async def test_the_document_declares_the_projects_error_format_not_fastapis(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/openapi.json")

        assert "HTTPValidationError" not in response.text
        promotion = next(
            parameter
            for parameter in response.json()["paths"]["/api/v1/reports/pay"]["get"]["parameters"]
            if parameter["name"] == "promotion"
        )
        assert promotion["schema"]["anyOf"][0]["maximum"] == 2**31 - 1
