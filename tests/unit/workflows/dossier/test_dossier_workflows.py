"""The dossier workflows on the time-skipping server: receipt, publishing, the first stage.

The staff-driven stages are in test_dossier_stages.py.
"""

import subprocess
import sys

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandInPublisher,
    StandIns,
    sample_dossier,
    wait_until_idle,
)
from workflows.dossier.models import (
    APPLY_ACTION,
    ROUND_OPENED,
    SNAPSHOT,
    DossierInput,
    dossier_workflow_id,
)
from workflows.dossier.rules import FIRST_STAGE
from workflows.dossier.workflows import (
    DOSSIER_WORKFLOWS,
    CandidateDossierWorkflow,
    DossierWorkflow,
    ProjectDossierWorkflow,
)
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
def publisher(dossier_worker: StandIns) -> StandInPublisher:
    return dossier_worker.publisher


class TestDossierWorkflowClasses:
    def test_each_kind_of_dossier_has_its_own_workflow(self) -> None:
        assert DOSSIER_WORKFLOWS == {
            DossierKind.CANDIDATE: CandidateDossierWorkflow,
            DossierKind.PROJECT: ProjectDossierWorkflow,
        }

    @pytest.mark.parametrize("workflow_class", list(DOSSIER_WORKFLOWS.values()))
    def test_callers_address_the_messages_by_their_published_names(self, workflow_class) -> None:
        definition = workflow._Definition.must_from_class(workflow_class)

        assert set(definition.updates) == {APPLY_ACTION}
        assert definition.updates[APPLY_ACTION].validator is not None
        assert SNAPSHOT in definition.queries
        assert set(definition.signals) == {ROUND_OPENED}


@pytest.mark.parametrize("kind", KINDS)
class TestReceivingADossier:
    async def test_the_dossier_is_recorded_as_received_at_workflow_time(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        dossier = sample_dossier(kind)
        handle = await start_dossier(workflow_env, task_queue, dossier)
        await wait_until_idle(handle)

        snapshot = await handle.query(DossierWorkflow.snapshot)

        started_at = (await handle.describe()).start_time
        assert snapshot.dossier_id == dossier.dossier_id
        assert snapshot.kind == kind
        received = snapshot.timeline[0]
        assert received.status == DossierStatus.RECEIVED
        assert (received.note, received.action, received.actor) == ("", "", "system")
        # workflow.now() is the time of the first workflow task, just after the start.
        assert 0 <= (received.at - started_at).total_seconds() < 5
        await handle.terminate()

    async def test_the_dossier_then_goes_to_its_first_stage_by_itself(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        handle = await start_dossier(workflow_env, task_queue, sample_dossier(kind))
        await wait_until_idle(handle)

        snapshot = await handle.query(DossierWorkflow.snapshot)

        assert [entry.status for entry in snapshot.timeline] == [
            DossierStatus.RECEIVED,
            FIRST_STAGE[kind],
        ]
        assert snapshot.status == FIRST_STAGE[kind]
        assert snapshot.timeline[1].actor == "system"
        assert "withdraw" in snapshot.allowed_actions
        await handle.terminate()

    async def test_the_received_status_is_published_once_with_the_dossier_details(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        dossier = sample_dossier(kind)
        handle = await start_dossier(workflow_env, task_queue, dossier)
        await wait_until_idle(handle)

        received, first_stage = (call.event for call in publisher.calls)
        snapshot = await handle.query(DossierWorkflow.snapshot)
        assert received.dossier_id == dossier.dossier_id
        assert received.kind == kind
        assert received.status == DossierStatus.RECEIVED
        assert received.previous_status is None
        assert received.title == dossier.title
        assert received.contact == dossier.contact
        assert received.occurred_at == snapshot.timeline[0].at
        assert (first_stage.status, first_stage.previous_status) == (
            FIRST_STAGE[kind],
            DossierStatus.RECEIVED,
        )
        assert (first_stage.action, first_stage.actor) == ("", "system")
        await handle.terminate()

    async def test_the_dossier_is_searchable_by_status_and_kind(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        handle = await start_dossier(workflow_env, task_queue, sample_dossier(kind))
        await wait_until_idle(handle)

        attributes = (await handle.describe()).typed_search_attributes

        assert attributes.get(DOSSIER_STATUS) == FIRST_STAGE[kind].value
        assert attributes.get(DOSSIER_KIND) == kind.value
        await handle.terminate()

    async def test_the_workflow_keeps_running_to_wait_for_the_next_stages(
        self, workflow_env, task_queue, publisher, kind
    ) -> None:
        handle = await start_dossier(workflow_env, task_queue, sample_dossier(kind))
        await wait_until_idle(handle)

        description = await handle.describe()

        assert description.status == WorkflowExecutionStatus.RUNNING
        await handle.terminate()


class TestPublishingRetries:
    async def test_a_retried_publish_carries_the_same_event_id(
        self, workflow_env: WorkflowEnvironment, task_queue: str
    ) -> None:
        stand_ins = StandIns(publisher=StandInPublisher(failing_attempts=1))
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS_UNDER_TEST,
            activities=stand_ins.activities(),
        ):
            handle = await start_dossier(
                workflow_env, task_queue, sample_dossier(DossierKind.CANDIDATE)
            )
            event_types = await wait_until_idle(handle)

            first, second, *later = stand_ins.publisher.calls
            assert second.event.event_id == first.event.event_id
            assert second == first
            assert [call.event.status for call in later] == [DossierStatus.IN_REVIEW]
            assert event_types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED) == 0
            snapshot = await handle.query(DossierWorkflow.snapshot)
            assert [entry.status for entry in snapshot.timeline] == [
                DossierStatus.RECEIVED,
                DossierStatus.IN_REVIEW,
            ]
            await handle.terminate()

    async def test_two_dossiers_get_different_event_ids(
        self, workflow_env: WorkflowEnvironment, task_queue: str, publisher: StandInPublisher
    ) -> None:
        handles = [
            await start_dossier(workflow_env, task_queue, sample_dossier(DossierKind.PROJECT))
            for _ in range(2)
        ]
        for handle in handles:
            await wait_until_idle(handle)

        event_ids = {call.event.event_id for call in publisher.calls}
        assert len(publisher.calls) == 4  # received and in_evaluation, for each
        assert len(event_ids) == 4
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
