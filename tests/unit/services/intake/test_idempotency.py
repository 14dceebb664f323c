"""A retried submission with the same Idempotency-Key creates one dossier, never two."""

import asyncio
import json
import uuid
from uuid import UUID

import httpx
import pytest
from sqlmodel import select

from libs.dossier_links import Purpose
from libs.outbox.models import OutboxMessage
from services.intake.bootstrap import Intake
from services.intake.models import Application, IdempotencyRecord
from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body


def key_header() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def count(intake: Intake, model: type) -> int:
    async with intake.sessions() as session:
        return len((await session.exec(select(model))).all())


class TestSameKeySameBody:
    async def test_the_first_answer_is_given_again(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        headers = key_header()
        first = await client.post(CANDIDATES, json=candidate_body(), headers=headers)
        second = await client.post(CANDIDATES, json=candidate_body(), headers=headers)

        assert first.status_code == second.status_code == 202
        assert second.json() == first.json()
        assert second.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await count(intake, Application) == 1
        assert await count(intake, OutboxMessage) == 1

    async def test_key_order_and_spacing_do_not_make_another_request(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        headers = key_header() | {"Content-Type": "application/json"}
        body = project_body()
        reordered = dict(reversed(list(body.items())))
        first = await client.post(PROJECTS, content=json.dumps(body), headers=headers)
        spaced = json.dumps(reordered, indent=4)
        second = await client.post(PROJECTS, content=spaced, headers=headers)
        assert second.json()["dossier_id"] == first.json()["dossier_id"]
        assert await count(intake, Application) == 1

    async def test_the_private_link_is_not_stored_with_the_answer(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body(), headers=key_header())
        dossier_id = UUID(response.json()["dossier_id"])
        async with intake.sessions() as session:
            record = (await session.exec(select(IdempotencyRecord))).one()
        for purpose in Purpose:
            assert intake.link_keys.token(purpose, dossier_id) not in json.dumps(record.response)
        assert len(record.request_sha256) == 64

    async def test_concurrent_identical_requests_make_one_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        headers = key_header()
        responses = await asyncio.gather(
            *(client.post(CANDIDATES, json=candidate_body(), headers=headers) for _ in range(6))
        )
        assert {response.status_code for response in responses} == {202}
        assert len({response.json()["dossier_id"] for response in responses}) == 1
        assert await count(intake, Application) == 1
        assert await count(intake, OutboxMessage) == 1


class TestSameKeyOtherRequest:
    async def test_another_body_is_a_409_naming_the_header(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        headers = key_header()
        await client.post(CANDIDATES, json=candidate_body(), headers=headers)
        response = await client.post(
            CANDIDATES, json=candidate_body(years_of_experience=13), headers=headers
        )
        assert response.status_code == 409
        assert [error["field"] for error in response.json()["errors"]] == ["Idempotency-Key"]
        assert await count(intake, Application) == 1

    async def test_the_other_endpoint_is_a_409(self, client: httpx.AsyncClient) -> None:
        headers = key_header()
        await client.post(CANDIDATES, json=candidate_body(), headers=headers)
        response = await client.post(PROJECTS, json=project_body(), headers=headers)
        assert response.status_code == 409


class TestWithoutKey:
    async def test_each_request_is_a_new_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        await client.post(CANDIDATES, json=candidate_body())
        await client.post(CANDIDATES, json=candidate_body())
        assert await count(intake, Application) == 2
        assert await count(intake, IdempotencyRecord) == 0


@pytest.mark.parametrize("key", ["x" * 256, "clé-accentuée", "with space"], ids=repr)
async def test_an_unusable_key_is_refused_naming_the_header(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await client.post(
        CANDIDATES, json=candidate_body(), headers=[(b"Idempotency-Key", key.encode())]
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["Idempotency-Key"]
