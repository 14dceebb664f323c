"""Staff actions on dossier workflows against a real Temporal server (and the real process)."""

import uuid
from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from tests.eventually import eventually
from tests.integration.workflows.conftest import WorkflowsProcess
from tests.integration.workflows.test_bridge import dossier_workflow, status_events, submitted
from tests.unit.workflows.dossier.dossiers import (
    StandIns,
    act,
    project_application_submitted,
    sample_dossier,
    wait_until_idle,
)
from workflows.dossier.models import dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow

pytestmark = pytest.mark.integration


@pytest.fixture
async def project_dossier(
    temporal_dev_server: WorkflowEnvironment,
) -> AsyncIterator[WorkflowHandle[DossierWorkflow, None]]:
    """A project dossier in its first stage, on a worker with stand-in activities."""
    client = temporal_dev_server.client
    task_queue = f"dossier-actions-{uuid.uuid4()}"
    stand_ins = StandIns()
    dossier = sample_dossier(DossierKind.PROJECT)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=list(DOSSIER_WORKFLOWS.values()),
        activities=stand_ins.activities(),
    ):
        handle: WorkflowHandle[DossierWorkflow, None] = await client.start_workflow(
            DOSSIER_WORKFLOWS[DossierKind.PROJECT].run,
            dossier,
            id=dossier_workflow_id(dossier.dossier_id),
            task_queue=task_queue,
        )
        await wait_until_idle(handle)
        yield handle
        await handle.terminate()


class TestRefusedActionsOnARealServer:
    async def test_an_action_refused_by_the_validator_leaves_the_history_untouched(
        self, project_dossier: WorkflowHandle[DossierWorkflow, None]
    ) -> None:
        before = await project_dossier.fetch_history()

        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await act(project_dossier, "record_defence")
        after = await project_dossier.fetch_history()

        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.type == "ActionNotAllowed"
        # Not even the workflow task that ran the validator is kept.
        assert after.events == before.events

    async def test_an_accepted_action_is_recorded_as_an_update_in_the_history(
        self, project_dossier: WorkflowHandle[DossierWorkflow, None]
    ) -> None:
        result = await act(project_dossier, "request_investigation")

        history = await project_dossier.fetch_history()
        updates = [
            event.event_type
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        assert result.status == DossierStatus.INVESTIGATION_REQUESTED
        assert len(updates) == 1


class TestActionsThroughTheProcess:
    async def test_a_staff_action_is_published_with_its_actor_and_outcome(
        self,
        workflows_process: WorkflowsProcess,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        event = project_application_submitted()
        await submitted(producer, kafka_bootstrap, event)
        handle = dossier_workflow(temporal_dev_server.client, event.dossier_id)

        await act(handle, "request_investigation", actor="staff-12", note="À confirmer")
        await act(handle, "withdraw", actor="applicant")

        async def every_event() -> list[DossierStatus]:
            events = await status_events(kafka_bootstrap, event.dossier_id)
            return [published.status for published in events] if len(events) == 4 else []

        assert await eventually(every_event) == [
            DossierStatus.RECEIVED,
            DossierStatus.IN_EVALUATION,
            DossierStatus.INVESTIGATION_REQUESTED,
            DossierStatus.WITHDRAWN,
        ]
        investigation, withdrawal = (await status_events(kafka_bootstrap, event.dossier_id))[2:]
        assert (investigation.action, investigation.actor, investigation.note) == (
            "request_investigation",
            "staff-12",
            "À confirmer",
        )
        assert (withdrawal.action, withdrawal.actor) == ("withdraw", "applicant")
        await handle.result()
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
