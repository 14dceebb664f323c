"""Every service answers errors in its JSON format, whatever fails: an unexpected exception is a
500 with an error id that is also in the log line, a busy database a 503 with Retry-After, a
body nested too deeply a 400; and the OpenAPI document says so."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from libs.http_service import create_service_app
from libs.observability import JsonFormatter

router = APIRouter(prefix="/api/v1/failing")
PERSONAL = "camille.martin@example.fr Camille Martin"


class Body(BaseModel):
    value: int


@router.get("/bug")
async def bug() -> dict[str, str]:
    raise KeyError(PERSONAL)  # a message quoting personal data must not reach the log


@router.get("/locked")
async def locked() -> dict[str, str]:
    raise OperationalError("UPDATE dossier SET email=?", (PERSONAL,), Exception("locked"))


@router.post("/deep")
async def deep(body: Body) -> dict[str, str]:
    raise RecursionError("maximum recursion depth exceeded")


class NoParts:
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture
def app() -> Any:
    return create_service_app(title="t", summary="s", parts=NoParts(), checks={}, routers=[router])


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


class TestCatchAll:
    async def test_an_unexpected_error_is_a_json_500_with_an_error_id(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/failing/bug")

        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert len(body["error_id"]) == 12
        assert body["error_id"] in body["detail"]
        assert body["errors"] == []

    async def test_the_log_line_has_the_same_id_and_no_personal_data(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="libs.api_errors"):
            response = await client.get("/api/v1/failing/bug")

        [record] = [r for r in caplog.records if r.name == "libs.api_errors"]
        line = json.loads(JsonFormatter("test").format(record))
        assert line["error_id"] == response.json()["error_id"]
        assert line["error_type"] == "KeyError"
        assert "/api/v1/failing/bug" in line["message"]
        assert "KeyError" in line["error"] and "in bug" in line["error"]
        assert "Camille" not in json.dumps(line) and "example.fr" not in json.dumps(line)


class TestKnownFailures:
    async def test_a_locked_database_is_a_503_with_retry_after(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/failing/locked")

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "retry" in response.json()["detail"]
        assert "Camille" not in response.text

    async def test_a_body_nested_too_deeply_is_a_400_naming_the_body(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/api/v1/failing/deep", json={"value": 1})

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "body"
        assert response.json()["errors"][0]["type"] == "body_too_deep"

    async def test_json_nested_ten_thousand_levels_is_a_400(
        self, client: httpx.AsyncClient
    ) -> None:
        nested = b"[" * 10_000 + b"]" * 10_000

        response = await client.post(
            "/api/v1/failing/deep", content=nested, headers={"Content-Type": "application/json"}
        )

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "body"


class TestDocument:
    def test_422_answers_are_documented_in_the_projects_format(self, app: Any) -> None:
        document = app.openapi()

        text = json.dumps(document)
        assert "HTTPValidationError" not in text
        invalid = document["paths"]["/api/v1/failing/deep"]["post"]["responses"]["422"]
        assert invalid["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }

    def test_every_operation_documents_its_500_and_503(self, app: Any) -> None:
        document = app.openapi()

        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                assert {"500", "503"} <= set(operation["responses"]), (method, path)
        assert "error_id" in document["components"]["schemas"]["ServerErrorResponse"]["required"]

    def test_operations_with_a_body_document_400_and_413(self, app: Any) -> None:
        responses = app.openapi()["paths"]["/api/v1/failing/deep"]["post"]["responses"]

        assert {"400", "413", "422"} <= set(responses)
