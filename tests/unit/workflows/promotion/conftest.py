import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.unit.workflows.promotion.promotions import promotion_worker, unique_promotion_number


@pytest.fixture(scope="session")
def workflow_env(temporal_time_skipping: WorkflowEnvironment) -> WorkflowEnvironment:
    return temporal_time_skipping


@pytest.fixture
def task_queue() -> str:
    return f"promotion-{uuid.uuid4()}"


@pytest.fixture
def number() -> int:
    return unique_promotion_number()


@pytest.fixture
async def worker(workflow_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[None]:
    async with promotion_worker(workflow_env.client, task_queue):
        yield
