import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import time_skipping_server
from tests.unit.workflows.contract.stand_ins import ContractStandIns
from workflows.contract.workflows import CONTRACT_WORKFLOWS


@pytest.fixture(scope="session")
async def contract_clock() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the contract tests' own: contracts run for years, and these
    tests skip the clock by about three years, which on the session's shared server would put
    other tests' dates (taken from the real clock) in the past."""
    async with time_skipping_server() as env:
        yield env


@pytest.fixture
def task_queue() -> str:
    return f"contracts-{uuid.uuid4()}"


@pytest.fixture
def stand_ins() -> ContractStandIns:
    return ContractStandIns()


@pytest.fixture
async def contract_worker(
    contract_clock: WorkflowEnvironment, task_queue: str, stand_ins: ContractStandIns
) -> AsyncIterator[ContractStandIns]:
    """A worker for the contract workflow on this test's task queue, with the stand-ins."""
    async with Worker(
        contract_clock.client,
        task_queue=task_queue,
        workflows=CONTRACT_WORKFLOWS,
        activities=stand_ins.activities(),
    ):
        yield stand_ins
