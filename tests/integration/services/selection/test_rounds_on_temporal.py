"""Promotions and rounds through the selection API, on the Temporal dev server, real worker."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

from libs.api_errors import install_error_handlers
from libs.auth import DevTokenVerifier, write_dev_tokens
from libs.database import create_engine, session_factory
from libs.temporal import TemporalConnection
from services.selection import models  # noqa: F401 - registers the tables on SQLModel.metadata
from services.selection.api import rounds
from services.selection.service_layer import ReadModelRoundMembers
from tests.event_sinks import RecordedEvents
from tests.eventually import eventually
from tests.unit.workflows.promotion.promotions import unique_promotion_number
from workflows.dossier.activities import DossierActivities
from workflows.promotion.client import TemporalPromotionDirectory
from workflows.worker import build_worker

pytestmark = pytest.mark.integration


@dataclass
class Api:
    http: httpx.AsyncClient
    admin: dict[str, str]


@pytest.fixture
async def api(temporal_dev_server: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Api]:
    client = temporal_dev_server.client
    task_queue = f"selection-rounds-{uuid.uuid4()}"

    app = FastAPI()
    install_error_handlers(app)
    tokens = write_dev_tokens(tmp_path / "dev-tokens.json")
    app.state.token_verifier = DevTokenVerifier(tmp_path / "dev-tokens.json")
    connection = TemporalConnection(client.service_client.config.target_host, client.namespace)
    app.state.promotions = TemporalPromotionDirectory(connection, task_queue)
    # Who is in a round is selection's read model (ADR 15): an empty one, on SQLite.
    engine = create_engine(f"sqlite:///{tmp_path / 'selection.db'}")
    async with engine.begin() as connection_to_db:
        await connection_to_db.run_sync(SQLModel.metadata.create_all)
    app.state.round_members = ReadModelRoundMembers(session_factory(engine))
    app.include_router(rounds.router)
    # The dossier activities are never called here: a stand-in outbox is enough.
    worker = build_worker(client, task_queue, DossierActivities(RecordedEvents(), client))
    async with worker:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://selection") as http:
            yield Api(http, {"Authorization": f"Bearer {tokens['admin']}"})
    await engine.dispose()


async def test_a_created_promotion_is_listed_with_its_seats_and_takes_new_rounds(api: Api) -> None:
    number = unique_promotion_number()
    created = await api.http.post(
        "/api/v1/promotions",
        json={"number": number, "year": 2024, "seat_cap": 12, "calendar": "none"},
        headers=api.admin,
    )
    assert created.status_code == 201, created.text

    async def listed() -> bool:
        response = await api.http.get("/api/v1/promotions", headers=api.admin)
        return {
            "number": number,
            "year": 2024,
            "seat_cap": 12,
            "seats_taken": 0,
            "seats_left": 12,
        } in response.json()

    await eventually(listed)

    cutoff = datetime.now(UTC) + timedelta(days=20)
    body = {
        "promotion_number": number,
        "kind": "project",
        "cutoff_at": cutoff.isoformat(),
        "deliberation_at": (cutoff + timedelta(days=14)).isoformat(),
    }
    added = await api.http.post("/api/v1/rounds", json=body, headers=api.admin)
    assert added.status_code == 201, added.text
    round_id = added.json()["round_id"]
    assert round_id == f"{number}-project-{cutoff:%Y-%m}"

    rounds_listed = await api.http.get(
        "/api/v1/rounds", params={"promotion": number}, headers=api.admin
    )
    assert [(r["round_id"], r["state"]) for r in rounds_listed.json()] == [(round_id, "open")]
    detail = await api.http.get(
        f"/api/v1/rounds/{round_id}", params={"promotion": number}, headers=api.admin
    )
    assert detail.status_code == 200
    assert detail.json()["dossier_ids"] == []
    assert detail.json()["seats_left"] == 12

    duplicate = await api.http.post("/api/v1/rounds", json=body, headers=api.admin)
    assert duplicate.status_code == 409
    assert [error["field"] for error in duplicate.json()["errors"]] == ["round_id"]


async def test_a_promotion_started_twice_is_refused_with_409_and_the_default_calendar_runs(
    api: Api,
) -> None:
    number = unique_promotion_number()
    body = {"number": number, "year": 2025, "seat_cap": 30}
    first = await api.http.post("/api/v1/promotions", json=body, headers=api.admin)
    assert first.status_code == 201, first.text

    second = await api.http.post("/api/v1/promotions", json=body, headers=api.admin)

    assert second.status_code == 409
    calendar = await api.http.get("/api/v1/rounds", params={"promotion": number}, headers=api.admin)
    assert {r["round_id"] for r in calendar.json()} == {
        r["round_id"] for r in first.json()["rounds"]
    }
    assert len(calendar.json()) == 12
