"""The dossier workflows on the time-skipping server, with a stand-in for the publish activity."""

import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from tests.unit.workflows.dossiers import (
    StandInPublisher,
    sample_dossier,
    wait_until_idle_after_publishing,
)
from workflows.dossier.models import DossierInput
from workflows.dossier.workflows import (
    DOSSIER_WORKFLOWS,
    CandidateDossierWorkflow,
    DossierWorkflow,
    ProjectDossierWorkflow,
)
from workflows.naming import dossier_workflow_id
from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS

KINDS = [DossierKind.CANDIDATE, DossierKind.PROJECT]


async def start_dossier(
    env: WorkflowEnvironment, task_queue: str, dossier: DossierInput
) -> WorkflowHandle[DossierWorkflow, None]:
    return await env.client.start_workflow(
        DOSSIER_WORKFLOWS[dossier.kind].run,
        dossier,
        id=dossier_workflow_id(dossier.dossier_id),
        task_queue=task_queue,
    )


@pytest.fixture
async def publisher(
    workflow_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[StandInPublisher]:
    publisher = StandInPublisher()
    async with Worker(
        workflow_env.client,
        task_queue=task_queue,
        workflows=list(DOSSIER_WORKFLOWS.values()),
        activities=[publisher.publish_status_change],
    ):
        yield publisher


class TestDossierWorkflowClasses:
    def test_each_kind_of_dossier_has_its_own_workflow(self) -> None:
        assert DOSSIER_WORKFLOWS == {
            DossierKind.CANDIDATE: CandidateDossierWorkflow,
            DossierKind.PROJECT: ProjectDossierWorkflow,
        }


@pytest.mark.parametrize("kind", KINDS)
class TestReceivingADossier:
    async def test_the_dossier_is_recorded_as_received_at_workflow_time(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        dossier = sample_dossier(kind)
        handle = await start_dossier(workflow_env, task_queue, dossier)
        await wait_until_idle_after_publishing(handle)

        snapshot = await handle.query(DossierWorkflow.snapshot)

        started_at = (await handle.describe()).start_time
        assert snapshot.dossier_id == dossier.dossier_id
        assert snapshot.kind == kind
        assert snapshot.status == DossierStatus.RECEIVED
        assert [entry.status for entry in snapshot.timeline] == [DossierStatus.RECEIVED]
        assert snapshot.timeline[0].note == ""
        # workflow.now() is the time of the first workflow task, just after the start.
        assert 0 <= (snapshot.timeline[0].at - started_at).total_seconds() < 5
        await handle.terminate()

    async def test_the_received_status_is_published_once_with_the_dossier_details(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        dossier = sample_dossier(kind)
        handle = await start_dossier(workflow_env, task_queue, dossier)
        event_types = await wait_until_idle_after_publishing(handle)

        assert event_types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1
        [call] = publisher.calls
        event = call.event
        snapshot = await handle.query(DossierWorkflow.snapshot)
        assert event.dossier_id == dossier.dossier_id
        assert event.kind == kind
        assert event.status == DossierStatus.RECEIVED
        assert event.previous_status is None
        assert event.title == dossier.title
        assert event.contact == dossier.contact
        assert event.occurred_at == snapshot.timeline[0].at
        await handle.terminate()

    async def test_the_dossier_is_searchable_by_status_and_kind(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        handle = await start_dossier(workflow_env, task_queue, sample_dossier(kind))
        await wait_until_idle_after_publishing(handle)

        attributes = (await handle.describe()).typed_search_attributes

        assert attributes.get(DOSSIER_STATUS) == DossierStatus.RECEIVED.value
        assert attributes.get(DOSSIER_KIND) == kind.value
        await handle.terminate()

    async def test_the_workflow_keeps_running_to_wait_for_the_next_stages(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        handle = await start_dossier(workflow_env, task_queue, sample_dossier(kind))
        await wait_until_idle_after_publishing(handle)

        description = await handle.describe()

        assert description.status == WorkflowExecutionStatus.RUNNING
        await handle.terminate()


class TestPublishingRetries:
    async def test_a_retried_publish_carries_the_same_event_id(
        self, workflow_env: WorkflowEnvironment, task_queue: str
    ) -> None:
        publisher = StandInPublisher(failing_attempts=1)
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=list(DOSSIER_WORKFLOWS.values()),
            activities=[publisher.publish_status_change],
        ):
            handle = await start_dossier(
                workflow_env, task_queue, sample_dossier(DossierKind.CANDIDATE)
            )
            await wait_until_idle_after_publishing(handle)

            first, second = publisher.calls
            assert second.event.event_id == first.event.event_id
            assert second == first
            snapshot = await handle.query(DossierWorkflow.snapshot)
            assert [entry.status for entry in snapshot.timeline] == [DossierStatus.RECEIVED]
            await handle.terminate()

    async def test_two_dossiers_get_different_event_ids(
        self, workflow_env: WorkflowEnvironment, task_queue: str, publisher: StandInPublisher
    ) -> None:
        handles = [
            await start_dossier(workflow_env, task_queue, sample_dossier(DossierKind.PROJECT))
            for _ in range(2)
        ]
        for handle in handles:
            await wait_until_idle_after_publishing(handle)

        event_ids = {call.event.event_id for call in publisher.calls}
        assert len(event_ids) == 2
        for handle in handles:
            await handle.terminate()


class TestWorkflowModulesStayLight:
    def test_importing_the_workflows_loads_no_client_database_or_web_library(self) -> None:
        # The sandbox re-imports workflow modules for every run: no I/O clients among them.
        probe = (
            "import sys, workflows.dossier.workflows; "
            "print(sorted({name.split('.')[0] for name in sys.modules}))"
        )
        loaded = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout

        for heavy in ("faststream", "aiokafka", "sqlmodel", "sqlalchemy", "fastapi", "httpx"):
            assert f"'{heavy}'" not in loaded
        assert "'temporalio'" in loaded
