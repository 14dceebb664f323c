"""refused_on_error on the time-skipping server: an update handler's unexpected error fails
the update (typed ActionFailed), never the workflow task, and the workflow keeps answering."""

import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.client_errors import ActionRefused, refusal
from workflows.error_types import ErrorType
from workflows.update_handlers import refused_on_error


@workflow.defn(sandboxed=False)
class Breakable:
    """Updates that break the way a handler could: date overflow, sync and async."""

    def __init__(self) -> None:
        self.applied = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.applied

    @workflow.update
    @refused_on_error
    async def move(self, year: int) -> str:
        self.applied += 1
        return date(year, 1, 4).isoformat()  # ValueError past year 9999

    @workflow.update
    @refused_on_error
    def count(self, divisor: int) -> int:
        return self.applied // divisor  # ZeroDivisionError for 0

    @workflow.update
    @refused_on_error
    def refuse(self) -> None:
        raise ApplicationError("no", type=ErrorType.ACTION_REFUSED, non_retryable=True)

    @workflow.update
    def finish(self) -> None:
        self.done = True


async def failed_cause(call: Awaitable[Any]) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await call
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def workflow_task_failures(handle: WorkflowHandle[Breakable, int]) -> int:
    history = await handle.fetch_history()
    return sum(
        event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for event in history.events
    )


class TestRefusedOnError:
    async def test_unexpected_errors_fail_the_update_and_the_workflow_goes_on(
        self, temporal_time_skipping: WorkflowEnvironment
    ) -> None:
        client = temporal_time_skipping.client
        task_queue = f"update-handlers-{uuid.uuid4()}"
        async with Worker(client, task_queue=task_queue, workflows=[Breakable]):
            handle = await client.start_workflow(
                Breakable.run, id=f"breakable-{uuid.uuid4()}", task_queue=task_queue
            )

            overflow = await failed_cause(handle.execute_update(Breakable.move, 10_000))
            division = await failed_cause(handle.execute_update(Breakable.count, 0))
            refused = await failed_cause(handle.execute_update(Breakable.refuse))
            moved = await handle.execute_update(Breakable.move, 2027)
            await handle.execute_update(Breakable.finish)
            applied = await handle.result()

        for cause in (overflow, division):
            assert cause.type == ErrorType.ACTION_FAILED
            assert cause.non_retryable
        # The error's class only: its message may quote the input.
        assert "ValueError" in overflow.message and "10000" not in overflow.message
        assert "ZeroDivisionError" in division.message
        assert refused.type == ErrorType.ACTION_REFUSED  # Temporal failures pass as they are
        assert moved == "2027-01-04"
        assert applied == 2
        assert await workflow_task_failures(handle) == 0

    def test_callers_read_it_as_a_refusal(self) -> None:
        cause = ApplicationError("move could not be applied", type=ErrorType.ACTION_FAILED)

        assert isinstance(refusal(cause), ActionRefused)
