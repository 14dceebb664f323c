import uuid

import pytest
from temporalio.testing import WorkflowEnvironment


@pytest.fixture(scope="session")
async def workflow_env(temporal_time_skipping: WorkflowEnvironment) -> WorkflowEnvironment:
    """The time-skipping server (its search attributes are registered by the shared fixture)."""
    return temporal_time_skipping


@pytest.fixture
def task_queue() -> str:
    return f"dossiers-{uuid.uuid4()}"
