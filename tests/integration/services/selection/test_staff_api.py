"""The staff API with real engines: the read model fed by Kafka, actions on a real Temporal."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.kafka import create_broker, publish_event
from libs.kafka_connection import KafkaConnection
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS
from services.selection.read_model import record_application
from services.selection.scorecards import CRITERIA
from tests.eventually import eventually
from tests.integration.services.selection.selection_app import running_selection
from tests.integration.workflows.conftest import start_group_at_end
from tests.unit.services.selection.conftest import status_changed
from tests.unit.workflows.dossier.dossiers import (
    StandIns,
    candidate_application_submitted,
    project_application_submitted,
)
from workflows.bridge import start_dossier_workflow
from workflows.dossier.models import dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS

pytestmark = pytest.mark.integration


def applied(event: str) -> float:
    labels = {"event": event, "outcome": "applied"}
    return REGISTRY.get_sample_value("selection_read_model_events_total", labels) or 0.0


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(
        KafkaConnection(kafka_bootstrap), client_id=f"selection-tests-{uuid.uuid4()}"
    )
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


class TestReadModelFromKafka:
    async def test_an_application_and_its_status_change_are_listed(
        self,
        kafka_bootstrap: str,
        database_url: str,
        producer: KafkaBroker,
        tmp_path: Path,
    ) -> None:
        applied_before = {event: applied(event) for event in ("application", "status_changed")}
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
                    params={"round_id": "7-candidate-test", "q": "camille martin"},
                    headers={"Authorization": f"Bearer {tokens['staff']}"},
                )
                items: list[dict[str, Any]] = response.json()["items"]
                return items

            [item] = await eventually(listed, timeout=30)

        assert item["dossier_id"] == str(application.dossier_id)
        assert item["status"] == "in_review"
        for event, count in applied_before.items():
            assert applied(event) >= count + 1, event


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


class TestEvaluationsOnTheDatabase:
    async def test_an_evaluation_is_scored_edited_by_its_author_and_listed(
        self, database_url: str, tmp_path: Path
    ) -> None:
        async with running_selection(
            tmp_path, DATABASE_URL=database_url, SELECTION_READ_MODEL_ENABLED=False
        ) as (selection, client, tokens):
            application = project_application_submitted()
            await record_application(selection.sessions, application)
            dossier_id = application.dossier_id
            evaluator = {"Authorization": f"Bearer {tokens['evaluator']}"}
            scores = dict.fromkeys(CRITERIA[DossierKind.PROJECT], 1)

            created = await client.post(
                f"/api/v1/dossiers/{dossier_id}/evaluations",
                json={"scores": scores, "comment": "Premier avis"},
                headers=evaluator,
            )
            edited = await client.put(
                f"/api/v1/evaluations/{created.json()['id']}",
                json={"scores": {**scores, "roadmap": 3}, "comment": "Avis revu"},
                headers=evaluator,
            )
            listed = await client.get(
                f"/api/v1/dossiers/{dossier_id}/evaluations",
                headers={"Authorization": f"Bearer {tokens['jury']}"},
            )

        assert (created.status_code, edited.status_code, listed.status_code) == (201, 200, 200)
        [item] = listed.json()["items"]
        assert item == edited.json()
        assert (item["comment"], item["scores"]["roadmap"]) == ("Avis revu", 3)
        assert datetime.fromisoformat(item["updated_at"]) > datetime.fromisoformat(
            item["created_at"]
        )
        summary = listed.json()["summary"]
        assert (summary["count"], summary["criterion_means"]["roadmap"], summary["total"]) == (
            1,
            3.0,
            11.0,
        )
