"""Applications on Kafka become dossier workflows, once each (real broker, real Temporal)."""

import uuid
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from libs.kafka import publish_event
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.messages.topics import APPLICATIONS, DOSSIER_EVENTS, WORKFLOWS_BRIDGE_DLQ, Headers
from tests.eventually import eventually
from tests.integration.workflows.conftest import WorkflowsProcess, read_records
from tests.kafka_offsets import group_caught_up
from tests.unit.workflows.dossier.dossiers import (
    candidate_application_submitted,
    project_application_submitted,
)
from workflows.bridge import start_dossier_workflow
from workflows.dossier.models import dossier_workflow_id
from workflows.dossier.rules import FIRST_STAGE
from workflows.dossier.workflows import DossierWorkflow
from workflows.search_attributes import DOSSIER_KIND

pytestmark = pytest.mark.integration

ApplicationEvent = CandidateApplicationSubmitted | ProjectApplicationSubmitted


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def status_events(bootstrap: str, dossier_id: uuid.UUID) -> list[DossierStatusChanged]:
    records = await read_records(bootstrap, DOSSIER_EVENTS, str(dossier_id).encode())
    return [DossierStatusChanged.model_validate_json(record.value) for record in records]


async def executions(client: Client, dossier_id: uuid.UUID) -> list[WorkflowExecutionStatus | None]:
    query = f'WorkflowId = "{dossier_workflow_id(dossier_id)}"'
    return [execution.status async for execution in client.list_workflows(query)]


async def bridge_caught_up(bootstrap: str, process: WorkflowsProcess) -> bool:
    group = process.settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP
    return await group_caught_up(bootstrap, group, APPLICATIONS)


async def first_events(bootstrap: str, dossier_id: uuid.UUID) -> list[DossierStatusChanged]:
    """Wait for the dossier's ``received`` event and its automatic first stage's."""

    async def published() -> list[DossierStatusChanged]:
        events = await status_events(bootstrap, dossier_id)
        return events if len(events) >= 2 else []

    events = await eventually(published)
    kind = events[0].kind
    assert [event.status for event in events] == [DossierStatus.RECEIVED, FIRST_STAGE[kind]]
    return events


async def submitted(
    producer: KafkaBroker, bootstrap: str, event: ApplicationEvent
) -> list[DossierStatusChanged]:
    """Publish the application, then wait for its dossier's first two events."""
    await publish_event(producer, APPLICATIONS, event)
    return await first_events(bootstrap, event.dossier_id)


def dossier_workflow(client: Client, dossier_id: uuid.UUID) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(dossier_workflow_id(dossier_id))


class TestAnApplicationStartsItsDossierWorkflow:
    @pytest.mark.parametrize(
        "application", [candidate_application_submitted, project_application_submitted]
    )
    async def test_the_workflow_starts_and_announces_the_dossier_received(
        self,
        application,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        event: ApplicationEvent = application()
        started_before = counter("eig_workflows_bridge_started_total", kind=event.kind.value)

        received, first_stage = await submitted(producer, kafka_bootstrap, event)

        assert received.status == DossierStatus.RECEIVED
        assert received.kind == event.kind
        assert received.title == event.payload.title
        assert received.contact == event.payload.contact
        assert first_stage.previous_status == DossierStatus.RECEIVED
        handle = dossier_workflow(temporal_dev_server.client, event.dossier_id)
        snapshot = await handle.query(DossierWorkflow.snapshot)
        assert snapshot.status == FIRST_STAGE[event.kind]
        assert [entry.status for entry in snapshot.timeline][0] == DossierStatus.RECEIVED
        assert (await handle.describe()).workflow_type == (
            "CandidateDossierWorkflow"
            if event.kind == DossierKind.CANDIDATE
            else "ProjectDossierWorkflow"
        )
        assert await eventually(lambda: bridge_caught_up(kafka_bootstrap, workflows_process))
        assert (
            counter("eig_workflows_bridge_started_total", kind=event.kind.value)
            == started_before + 1
        )
        await handle.terminate()

    async def test_the_status_event_keeps_its_event_id_on_every_read(
        self,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        event = candidate_application_submitted()
        first_read = await submitted(producer, kafka_bootstrap, event)

        second_read = await status_events(kafka_bootstrap, event.dossier_id)

        assert [read.event_id for read in second_read] == [read.event_id for read in first_read]
        await dossier_workflow(temporal_dev_server.client, event.dossier_id).terminate()

    async def test_the_process_reports_ready_and_exposes_the_bridge_metrics(
        self, workflows_process: WorkflowsProcess
    ) -> None:
        async with httpx.AsyncClient(base_url=workflows_process.base_url) as http:
            ready = await http.get("/readyz")
            metrics = await http.get("/metrics")

        assert ready.json() == {"status": "ready", "checks": {"temporal": "ok", "kafka": "ok"}}
        assert "eig_workflows_bridge_dead_lettered_total" in metrics.text


class TestAReplayedApplication:
    async def test_a_replayed_application_starts_no_second_workflow_and_no_second_event(
        self,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        event = project_application_submitted()
        published = await submitted(producer, kafka_bootstrap, event)
        handle = dossier_workflow(temporal_dev_server.client, event.dossier_id)
        first_run = (await handle.describe()).run_id
        existing_before = counter("eig_workflows_bridge_already_existing_total", kind="project")

        await publish_event(producer, APPLICATIONS, event)
        await eventually(lambda: bridge_caught_up(kafka_bootstrap, workflows_process))

        latest = await handle.describe()
        assert (latest.run_id, latest.status) == (first_run, WorkflowExecutionStatus.RUNNING)
        client = temporal_dev_server.client
        assert await executions(client, event.dossier_id) == [WorkflowExecutionStatus.RUNNING]
        assert await status_events(kafka_bootstrap, event.dossier_id) == published
        assert (
            counter("eig_workflows_bridge_already_existing_total", kind="project")
            == existing_before + 1
        )
        await handle.terminate()

    async def test_a_replay_after_the_workflow_closed_does_not_start_a_new_run(
        self,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        event = candidate_application_submitted()
        await submitted(producer, kafka_bootstrap, event)
        client = temporal_dev_server.client
        handle = dossier_workflow(client, event.dossier_id)
        first_run = (await handle.describe()).run_id
        await handle.terminate()

        await publish_event(producer, APPLICATIONS, event)
        await eventually(lambda: bridge_caught_up(kafka_bootstrap, workflows_process))

        latest = await handle.describe()
        assert (latest.run_id, latest.status) == (first_run, WorkflowExecutionStatus.TERMINATED)

        async def only_the_terminated_run() -> bool:
            statuses = await executions(client, event.dossier_id)
            return statuses == [WorkflowExecutionStatus.TERMINATED]

        assert await eventually(only_the_terminated_run)
        assert len(await status_events(kafka_bootstrap, event.dossier_id)) == 2


class TestPoisonMessages:
    async def test_a_malformed_message_is_dead_lettered_and_the_next_one_is_processed(
        self,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        poison_key = f"poison-{uuid.uuid4()}".encode()
        dead_lettered_before = counter("eig_workflows_bridge_dead_lettered_total")
        # Same key as the valid message that follows: same partition, so it is read first.
        valid = candidate_application_submitted()
        await producer.publish(b'{"type": "Candidate', topic=APPLICATIONS, key=valid.key)
        await producer.publish(b"not json at all", topic=APPLICATIONS, key=poison_key)
        await submitted(producer, kafka_bootstrap, valid)

        await eventually(lambda: bridge_caught_up(kafka_bootstrap, workflows_process))

        [dead_letter] = await read_records(kafka_bootstrap, WORKFLOWS_BRIDGE_DLQ, poison_key)
        headers = {name: value.decode() for name, value in dead_letter.headers}
        assert dead_letter.value == b"not json at all"
        assert headers[Headers.DLQ_SOURCE_TOPIC] == APPLICATIONS
        assert headers[Headers.DLQ_ERROR].startswith("ValidationError")
        same_partition = await read_records(kafka_bootstrap, WORKFLOWS_BRIDGE_DLQ, valid.key)
        assert [record.value for record in same_partition] == [b'{"type": "Candidate']
        assert counter("eig_workflows_bridge_dead_lettered_total") == dead_lettered_before + 2
        await dossier_workflow(temporal_dev_server.client, valid.dossier_id).terminate()


class TestStartDossierWorkflow:
    async def test_only_the_first_start_of_a_dossier_starts_a_workflow(
        self, temporal_dev_server: WorkflowEnvironment
    ) -> None:
        client = temporal_dev_server.client
        event = project_application_submitted()
        task_queue = f"no-worker-{uuid.uuid4()}"

        first = await start_dossier_workflow(client, task_queue, event)
        while_running = await start_dossier_workflow(client, task_queue, event)
        await dossier_workflow(client, event.dossier_id).terminate()
        after_close = await start_dossier_workflow(client, task_queue, event)

        assert (first, while_running, after_close) == (True, False, False)
        latest = await dossier_workflow(client, event.dossier_id).describe()
        assert latest.status == WorkflowExecutionStatus.TERMINATED
        assert latest.typed_search_attributes.get(DOSSIER_KIND) == "project"
