import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import time_skipping_server
from tests.unit.workflows.promotion.promotions import promotion_worker, unique_promotion_number


@pytest.fixture(scope="module")
async def workflow_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per module: what one module leaves running (e.g. test_activities'
    promotions, whose worker is gone) keeps a shared server's clock from skipping, and the
    timer tests, which skip days, then wait in real time until their RPC times out."""
    async with time_skipping_server() as env:
        yield env


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
