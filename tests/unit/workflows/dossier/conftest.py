import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.dossier_events import Detail
from tests.unit.workflows.dossier.dossiers import WORKFLOWS_UNDER_TEST, StandIns


@pytest.fixture(scope="session")
async def workflow_env(temporal_time_skipping: WorkflowEnvironment) -> WorkflowEnvironment:
    """The time-skipping server (its search attributes are registered by the shared fixture)."""
    return temporal_time_skipping


@pytest.fixture
def task_queue() -> str:
    return f"dossiers-{uuid.uuid4()}"


@pytest.fixture
def stand_ins() -> StandIns:
    return StandIns()


@pytest.fixture
async def dossier_worker(
    workflow_env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns
) -> AsyncIterator[StandIns]:
    """A worker for the dossier workflows on this test's task queue, with the stand-ins.

    Afterwards, every key the test's dossiers put in an event's details must be one that
    ``Detail`` lists (consumers and e-mail templates read them by that name)."""
    async with Worker(
        workflow_env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS_UNDER_TEST,
        activities=stand_ins.activities(),
    ):
        yield stand_ins
    keys = {key for call in stand_ins.publisher.calls for key in call.event.details}
    assert keys <= set(Detail), f"details keys missing from Detail: {keys - set(Detail)}"
