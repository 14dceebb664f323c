"""``/api/v1/operations``: the report and the dead-letter actions, for admins only, audited
under the caller's name."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.messages.topics import NOTIFICATIONS_DLQ
from services.selection.app import create_app
from services.selection.bootstrap import bootstrap
from services.selection.settings import SelectionSettings
from tests.unit.libs.operations.desks import FakeOperationsDesk, poison
from tests.unit.services.selection.conftest import bearer

LETTER = f"/api/v1/operations/dead-letters/{NOTIFICATIONS_DLQ}/0/3"


@pytest.fixture
def desk() -> FakeOperationsDesk:
    return FakeOperationsDesk(letters=[poison(offset=3)])


@pytest.fixture
async def ops(
    sqlite_url: str, tmp_path: Path, desk: FakeOperationsDesk
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    settings = SelectionSettings(
        _env_file=None,
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL=sqlite_url,
        DATA_DIR=tmp_path,
        SELECTION_READ_MODEL_ENABLED=False,
    )
    selection = bootstrap(settings, operations=desk)
    tokens = write_dev_tokens(settings.dev_tokens_file)
    transport = httpx.ASGITransport(app=create_app(selection=selection))
    async with httpx.AsyncClient(transport=transport, base_url="http://selection") as client:
        yield client, tokens
    await selection.engine.dispose()


class TestWhoMayLook:
    @pytest.mark.parametrize("role", ["staff", "evaluator", "jury"])
    async def test_only_admins_read_the_report(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], role: str
    ) -> None:
        client, tokens = ops
        for path in ("/status", "/dead-letters", "/dead-letters/actions"):
            answer = await client.get(f"/api/v1/operations{path}", headers=bearer(tokens, role))
            assert answer.status_code == 403, path

    async def test_no_token_is_401(self, ops: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
        client, _ = ops
        assert (await client.get("/api/v1/operations/status")).status_code == 401

    async def test_a_staff_member_cannot_replay(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], desk: FakeOperationsDesk
    ) -> None:
        client, tokens = ops
        answer = await client.post(f"{LETTER}/replay", json={}, headers=bearer(tokens, "staff"))
        assert answer.status_code == 403
        assert desk.replayed == []


class TestReport:
    async def test_the_report_names_the_dead_letter_and_its_level(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]]
    ) -> None:
        client, tokens = ops
        body = (
            await client.get("/api/v1/operations/status", headers=bearer(tokens, "admin"))
        ).json()
        assert body["level"] == "stuck"
        assert body["dead_letters"]["topics"][0]["depth"] == 1
        assert body["dead_letters"]["topics"][0]["newest"][0]["offset"] == 3


class TestDeadLetterActions:
    async def test_a_replay_is_recorded_under_the_admins_name(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], desk: FakeOperationsDesk
    ) -> None:
        client, tokens = ops
        answer = await client.post(
            f"{LETTER}/replay", json={"reason": "template fixed"}, headers=bearer(tokens, "admin")
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["decision"] == "replay"
        assert "dev-admin" in answer.json()["actor"]
        assert answer.json()["reason"] == "template fixed"
        history = await client.get(
            "/api/v1/operations/dead-letters/actions", headers=bearer(tokens, "admin")
        )
        assert [item["offset"] for item in history.json()["items"]] == [3]

    async def test_a_second_replay_of_the_same_message_is_409(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], desk: FakeOperationsDesk
    ) -> None:
        client, tokens = ops
        first = await client.post(f"{LETTER}/replay", json={}, headers=bearer(tokens, "admin"))
        second = await client.post(f"{LETTER}/replay", json={}, headers=bearer(tokens, "admin"))
        assert (first.status_code, second.status_code) == (200, 409)
        assert "not waiting" in second.json()["detail"]
        assert len(desk.replayed) == 1

    async def test_discarding_needs_a_reason(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], desk: FakeOperationsDesk
    ) -> None:
        client, tokens = ops
        for body in ({"reason": "  "}, {}):
            answer = await client.post(
                f"{LETTER}/discard", json=body, headers=bearer(tokens, "admin")
            )
            assert answer.status_code == 422
            assert answer.json()["errors"][0]["field"] == "reason"
        assert len(desk.letters) == 1

    async def test_an_unknown_topic_is_404_naming_it(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]]
    ) -> None:
        client, tokens = ops
        answer = await client.post(
            "/api/v1/operations/dead-letters/eig.applications.v1/0/3/replay",
            json={},
            headers=bearer(tokens, "admin"),
        )
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["field"] == "path.topic"

    async def test_an_offset_beyond_64_bits_is_422(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]]
    ) -> None:
        client, tokens = ops
        answer = await client.post(
            f"/api/v1/operations/dead-letters/{NOTIFICATIONS_DLQ}/0/{2**64}/replay",
            json={},
            headers=bearer(tokens, "admin"),
        )
        assert answer.status_code == 422

    async def test_kafka_down_is_503_with_retry_after(
        self, ops: tuple[httpx.AsyncClient, dict[str, str]], desk: FakeOperationsDesk
    ) -> None:
        client, tokens = ops
        desk.error = KafkaConnectionError()
        answer = await client.post(f"{LETTER}/replay", json={}, headers=bearer(tokens, "admin"))
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
