"""The staff API with real engines: the read model fed by Kafka, actions on a real Temporal."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.kafka import create_broker, publish_event
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS
from services.selection.app import create_app
from services.selection.bootstrap import Selection, bootstrap
from services.selection.settings import SelectionSettings
from tests.eventually import eventually
from tests.integration.workflows.conftest import start_group_at_end
from tests.unit.selection.conftest import status_changed
from tests.unit.workflows.dossiers import StandIns, candidate_application_submitted
from workflows.bridge import start_dossier_workflow
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.naming import dossier_workflow_id

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(kafka_bootstrap, client_id=f"selection-tests-{uuid.uuid4()}")
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


@asynccontextmanager
async def running_selection(
    tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[Selection, httpx.AsyncClient, dict[str, str]]]:
    selection = bootstrap(
        SelectionSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATA_DIR=tmp_path,
            SELECTION_CREATE_TABLES=True,
            **settings,
        )
    )
    tokens = write_dev_tokens(selection.settings.dev_tokens_file)
    app = create_app(selection=selection)
    await selection.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://selection") as client:
            yield selection, client, tokens
    finally:
        await selection.stop()


class TestReadModelFromKafka:
    async def test_an_application_and_its_status_change_are_listed(
        self,
        kafka_bootstrap: str,
        database_url: str,
        producer: KafkaBroker,
        tmp_path: Path,
    ) -> None:
        group = f"selection-read-model-test-{uuid.uuid4()}"
        await start_group_at_end(kafka_bootstrap, group, DOSSIER_EVENTS)
        await start_group_at_end(kafka_bootstrap, f"{group}-applications", APPLICATIONS)
        application = candidate_application_submitted()
        change = status_changed(
            application.dossier_id,
            DossierStatus.IN_REVIEW,
            at=application.occurred_at + timedelta(seconds=1),
            details={"round_id": "7-candidate-test"},
        )

        async with running_selection(
            tmp_path,
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            SELECTION_READ_MODEL_CONSUMER_GROUP=group,
        ) as (_selection, client, tokens):
            await publish_event(producer, APPLICATIONS, application)
            await publish_event(producer, DOSSIER_EVENTS, change)

            async def listed() -> list[dict[str, Any]]:
                response = await client.get(
                    "/api/v1/dossiers",
                    params={"round_id": "7-candidate-test", "q": "civic tech"},
                    headers={"Authorization": f"Bearer {tokens['staff']}"},
                )
                items: list[dict[str, Any]] = response.json()["items"]
                return items

            [item] = await eventually(listed, timeout=30)

        assert item["dossier_id"] == str(application.dossier_id)
        assert item["status"] == "in_review"


class TestActionOnTemporal:
    async def test_a_review_moves_the_dossier_and_a_second_one_is_a_conflict(
        self, temporal_dev_server: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
    ) -> None:
        temporal = temporal_dev_server.client
        task_queue = f"selection-actions-{uuid.uuid4()}"
        event = candidate_application_submitted()
        async with Worker(
            temporal,
            task_queue=task_queue,
            workflows=list(DOSSIER_WORKFLOWS.values()),
            activities=StandIns().activities(),
        ):
            await start_dossier_workflow(temporal, task_queue, event)
            handle = temporal.get_workflow_handle(dossier_workflow_id(event.dossier_id))

            async def in_review() -> bool:
                snapshot = await handle.query("snapshot")
                return bool(snapshot["status"] == DossierStatus.IN_REVIEW.value)

            await eventually(in_review, timeout=30)
            async with running_selection(
                tmp_path,
                DATABASE_URL=sqlite_url,
                TEMPORAL_ADDRESS=temporal.service_client.config.target_host,
                SELECTION_READ_MODEL_ENABLED=False,
            ) as (_selection, client, tokens):
                path = f"/api/v1/dossiers/{event.dossier_id}/actions/record_review"
                headers = {"Authorization": f"Bearer {tokens['staff']}"}
                body = {"outcome": "shortlisted", "note": "Bon profil"}

                first = await client.post(path, json=body, headers=headers)
                second = await client.post(path, json=body, headers=headers)
            await handle.terminate()

        assert first.status_code == 200
        assert first.json()["status"] == "interview"
        assert second.status_code == 409
        assert second.json()["status"] == "interview"
        assert "record_interview" in second.json()["allowed_actions"]
