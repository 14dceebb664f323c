"""Bad input gets a 4xx naming each field at fault, and nothing is stored."""

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from libs.outbox.models import OutboxMessage
from services.intake.bootstrap import Intake
from services.intake.models import Application
from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body


def fields_of(response: httpx.Response) -> list[str]:
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return [error["field"] for error in body["errors"]]


async def stored_rows(intake: Intake) -> tuple[int, int]:
    async with intake.sessions() as session:
        applications = (await session.exec(select(func.count()).select_from(Application))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return applications, outbox


class TestMissingFields:
    async def test_a_missing_field_is_named(self, client: httpx.AsyncClient) -> None:
        body = candidate_body()
        del body["email"]
        response = await client.post(CANDIDATES, json=body)
        assert response.status_code == 422
        assert fields_of(response) == ["email"]
        assert response.json()["errors"][0]["type"] == "missing"

    async def test_every_missing_field_is_named_at_once(self, client: httpx.AsyncClient) -> None:
        body = project_body()
        for name in ("project_title", "sponsor_name", "contact_email"):
            del body[name]
        response = await client.post(PROJECTS, json=body)
        assert response.status_code == 422
        assert sorted(fields_of(response)) == ["contact_email", "project_title", "sponsor_name"]

    async def test_an_empty_body_is_refused_as_a_whole(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CANDIDATES, content=b"", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert fields_of(response) == ["body"]


class TestInvalidValues:
    @pytest.mark.parametrize(
        ("path", "body", "field"),
        [
            (CANDIDATES, candidate_body(role="ceo"), "role"),
            (CANDIDATES, candidate_body(preferred_language="de"), "preferred_language"),
            (PROJECTS, project_body(administration_kind="city"), "administration_kind"),
            (PROJECTS, project_body(beta_gouv_phase="done"), "beta_gouv_phase"),
            (PROJECTS, project_body(profiles_wanted=["designer"]), "profiles_wanted.0"),
        ],
        ids=["role", "language", "administration_kind", "beta_gouv_phase", "profile"],
    )
    async def test_a_value_outside_its_enumeration_is_named(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
    ) -> None:
        response = await client.post(path, json=body)
        assert response.status_code == 422
        assert fields_of(response) == [field]
        assert response.json()["errors"][0]["type"] == "enum"

    async def test_negative_experience_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(years_of_experience=-1))
        assert response.status_code == 422
        assert fields_of(response) == ["years_of_experience"]

    async def test_experience_must_be_a_whole_number(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(years_of_experience=2.5))
        assert response.status_code == 422
        assert fields_of(response) == ["years_of_experience"]

    @pytest.mark.parametrize(
        ("path", "body", "field"),
        [
            (CANDIDATES, candidate_body(email="camille.martin"), "email"),
            (PROJECTS, project_body(contact_email="julien@"), "contact_email"),
        ],
        ids=["candidate", "project"],
    )
    async def test_a_bad_email_is_named(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
    ) -> None:
        response = await client.post(path, json=body)
        assert response.status_code == 422
        assert fields_of(response) == [field]

    async def test_a_bad_url_is_named_with_its_position(self, client: httpx.AsyncClient) -> None:
        body = candidate_body(links=["https://github.com/camille", "not a url"])
        response = await client.post(CANDIDATES, json=body)
        assert response.status_code == 422
        assert fields_of(response) == ["links.1"]

    async def test_a_non_web_url_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            PROJECTS, json=project_body(beta_gouv_product_url="ftp://beta.gouv.fr/x")
        )
        assert response.status_code == 422
        assert fields_of(response) == ["beta_gouv_product_url"]

    async def test_a_project_must_want_at_least_one_profile(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(PROJECTS, json=project_body(profiles_wanted=[]))
        assert response.status_code == 422
        assert fields_of(response) == ["profiles_wanted"]

    async def test_an_unknown_field_is_named(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(nickname="Cam"))
        assert response.status_code == 422
        assert fields_of(response) == ["nickname"]
        assert response.json()["errors"][0]["type"] == "extra_forbidden"

    @pytest.mark.parametrize(
        ("field", "limit"),
        [("entrepreneurial_experience", 5000), ("first_name", 200)],
    )
    async def test_text_over_its_limit_is_named(
        self, client: httpx.AsyncClient, field: str, limit: int
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(**{field: "é" * (limit + 1)}))
        assert response.status_code == 422
        assert fields_of(response) == [field]
        assert response.json()["errors"][0]["type"] == "string_too_long"

    @pytest.mark.parametrize("text", ["Cam\x00ille", "Cam\x1bille"], ids=["nul", "escape"])
    async def test_control_characters_in_text_are_refused(
        self, client: httpx.AsyncClient, text: str
    ) -> None:
        response = await client.post(PROJECTS, json=project_body(project_title=text))
        assert response.status_code == 422
        assert fields_of(response) == ["project_title"]

    async def test_line_breaks_in_text_are_kept(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(
            CANDIDATES, json=candidate_body(motivation="Première ligne.\r\n\tSeconde ligne.")
        )
        assert response.status_code == 202

    async def test_blank_required_text_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(last_name="   "))
        assert response.status_code == 422
        assert fields_of(response) == ["last_name"]


class TestConsent:
    @pytest.mark.parametrize("consent", [False, "true", 1, None], ids=repr)
    async def test_anything_but_literal_true_is_refused(
        self, client: httpx.AsyncClient, consent: object
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(consent=consent))
        assert response.status_code == 422
        assert fields_of(response) == ["consent"]

    async def test_missing_consent_is_refused(self, client: httpx.AsyncClient) -> None:
        body = project_body()
        del body["consent"]
        response = await client.post(PROJECTS, json=body)
        assert response.status_code == 422
        assert fields_of(response) == ["consent"]


class TestMalformedRequests:
    async def test_malformed_json_is_a_400_naming_the_body(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CANDIDATES, content=b'{"first_name": "Camille",', headers=JSON_HEADERS
        )
        assert response.status_code == 400
        assert fields_of(response) == ["body"]
        assert response.json()["errors"][0]["type"] == "json_invalid"

    async def test_a_body_that_is_not_utf8_is_a_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, content=b'{"a": "\xff\xfe"}', headers=JSON_HEADERS)
        assert response.status_code == 400
        assert fields_of(response) == ["body"]

    async def test_a_json_array_is_refused_as_a_whole(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, json=[candidate_body()])
        assert response.status_code == 422
        assert fields_of(response) == ["body"]

    @pytest.mark.parametrize(
        "content",
        [
            b"[" * 50_000 + b"]" * 50_000,
            b'{"years_of_experience": 1' + b"0" * 5000 + b"}",
            b'{"first_name": "\\ud800"}',
            b"NaN",
        ],
        ids=["deeply nested", "huge number", "lone surrogate", "NaN"],
    )
    async def test_pathological_json_is_a_4xx_naming_the_body_or_field(
        self, client: httpx.AsyncClient, content: bytes
    ) -> None:
        response = await client.post(CANDIDATES, content=content, headers=JSON_HEADERS)
        assert 400 <= response.status_code < 500
        assert fields_of(response)

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", None]
    )
    async def test_a_body_that_is_not_json_is_a_415(
        self, client: httpx.AsyncClient, content_type: str | None
    ) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post(
            CANDIDATES, content=json.dumps(candidate_body()).encode(), headers=headers
        )
        assert response.status_code == 415
        assert fields_of(response) == ["Content-Type"]

    async def test_json_with_a_charset_is_accepted(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            CANDIDATES,
            content=json.dumps(candidate_body()).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        assert response.status_code == 202


JSON_HEADERS = {"Content-Type": "application/json"}
OVERSIZED = json.dumps(candidate_body(motivation="x" * 70_000)).encode()


class TestBodySizeLimit:
    async def test_a_body_over_64_kib_is_a_413(self, client: httpx.AsyncClient) -> None:
        response = await client.post(CANDIDATES, content=OVERSIZED, headers=JSON_HEADERS)
        assert response.status_code == 413
        assert fields_of(response) == ["body"]

    async def test_the_limit_holds_without_content_length(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(OVERSIZED), 8192):
                yield OVERSIZED[start : start + 8192]

        response = await client.post(CANDIDATES, content=chunks(), headers=JSON_HEADERS)
        assert response.status_code == 413
        assert fields_of(response) == ["body"]

    async def test_the_limit_holds_when_content_length_lies(
        self, client: httpx.AsyncClient
    ) -> None:
        headers = {**JSON_HEADERS, "Content-Length": "100"}
        response = await client.post(CANDIDATES, content=OVERSIZED, headers=headers)
        assert response.status_code == 413

    async def test_a_body_just_under_the_limit_is_read(self, client: httpx.AsyncClient) -> None:
        body = json.dumps(candidate_body()).encode()
        padded = body[:-1] + b" " * (64 * 1024 - len(body)) + b"}"
        assert len(padded) == 64 * 1024
        response = await client.post(CANDIDATES, content=padded, headers=JSON_HEADERS)
        assert response.status_code == 202


async def test_refused_requests_store_nothing(client: httpx.AsyncClient, intake: Intake) -> None:
    await client.post(CANDIDATES, json=candidate_body(consent=False))
    await client.post(CANDIDATES, content=OVERSIZED, headers=JSON_HEADERS)
    await client.post(PROJECTS, json=project_body(profiles_wanted=[]))
    assert await stored_rows(intake) == (0, 0)


class TestTheDocumentTellsTheRules:
    """Found by the OpenAPI fuzzer: what the validators refuse, the document must say."""

    @pytest.mark.parametrize("years", ["12", True, 12.5], ids=repr)
    async def test_experience_must_be_a_json_integer_as_documented(
        self, client: httpx.AsyncClient, years: object
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(years_of_experience=years))

        assert response.status_code == 422
        assert fields_of(response) == ["years_of_experience"]

    async def test_a_whole_float_is_an_integer_as_json_schema_says(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(years_of_experience=12.0))

        assert response.status_code == 202

    async def test_text_fields_carry_the_pattern_their_validators_enforce(
        self, client: httpx.AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        schemas = document["components"]["schemas"]
        candidate = schemas["CandidateApplicationCreate"]["properties"]
        project = schemas["ProjectApplicationCreate"]["properties"]

        required = re.compile(candidate["last_name"]["pattern"])
        optional = re.compile(candidate["motivation"]["pattern"])
        assert required.match("Martin") and not required.match("   ")
        assert not required.match("Mar\x00tin") and not required.match("Mar\x1btin")
        assert optional.match("") and optional.match("ligne\r\n\tligne")
        assert "pattern" in project["project_title"] and "pattern" not in project["contact_email"]
