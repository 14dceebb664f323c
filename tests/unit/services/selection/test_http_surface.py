"""Findings of the OpenAPI fuzzer on the selection API, each kept as a regression test."""

import httpx
import pytest

from tests.unit.services.selection.conftest import bearer

TOO_BIG = 2**63


class TestBoundedIntegers:
    @pytest.mark.parametrize(
        ("method", "path", "field"),
        [
            ("GET", "/api/v1/dossiers?offset={n}", "offset"),
            ("PUT", "/api/v1/evaluations/{n}", "evaluation_id"),
            ("GET", "/api/v1/rounds?promotion={n}", "promotion"),
        ],
    )
    async def test_an_integer_past_the_columns_range_is_a_422_naming_it(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        method: str,
        path: str,
        field: str,
    ) -> None:
        response = await client.request(
            method,
            path.format(n=TOO_BIG),
            json={"scores": {}, "comment": "x"},
            headers=bearer(tokens, "admin"),
        )

        assert response.status_code == 422
        assert field in [error["field"] for error in response.json()["errors"]]


class TestMethodNotAllowed:
    @pytest.mark.parametrize(
        ("path", "allowed"),
        [("/api/v1/promotions", "GET, POST"), ("/api/v1/rounds", "GET, POST")],
    )
    async def test_a_405_lists_every_method_of_the_path(
        self, client: httpx.AsyncClient, tokens: dict[str, str], path: str, allowed: str
    ) -> None:
        response = await client.request("OPTIONS", path, headers=bearer(tokens, "admin"))

        assert response.status_code == 405
        assert response.headers["Allow"] == allowed
        assert response.json()["detail"] == "Method Not Allowed"


class TestJsonTypes:
    @pytest.mark.parametrize("seat_cap", [False, "30"], ids=repr)
    async def test_a_seat_cap_must_be_a_json_integer(
        self, client: httpx.AsyncClient, tokens: dict[str, str], seat_cap: object
    ) -> None:
        response = await client.post(
            "/api/v1/promotions",
            json={"number": 9, "year": 2026, "seat_cap": seat_cap, "calendar": "none"},
            headers=bearer(tokens, "admin"),
        )

        assert response.status_code == 422
        assert [error["field"] for error in response.json()["errors"]] == ["seat_cap"]

    async def test_the_document_names_every_criterion_a_scorecard_may_hold(
        self, client: httpx.AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()

        scores = document["components"]["schemas"]["EvaluationCreate"]["properties"]["scores"]
        assert "entrepreneurial_track_record" in scores["propertyNames"]["enum"]
        assert "roadmap" in scores["propertyNames"]["enum"]
