"""Workflow counts and failing tasks read from the real Temporal dev server (visibility and
describe), on a task queue of the test's own so other tests' workflows do not count."""

import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from libs.operations.workflows import collect_workflows
from tests.eventually import eventually
from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS

pytestmark = pytest.mark.integration

UI = "http://127.0.0.1:8233"


@activity.defn(name="ops_test_publish")
async def always_failing() -> None:
    raise RuntimeError("Kafka unreachable")


@workflow.defn(name="OpsTestRetrying")
class Retrying:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            always_failing,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0
            ),
        )


@workflow.defn(name="OpsTestWaiting")
class Waiting:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


@workflow.defn(name="OpsTestBroken")
class Broken:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a bug: the workflow task fails, and is retried")


def attributes(kind: str, status: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [SearchAttributePair(DOSSIER_KIND, kind), SearchAttributePair(DOSSIER_STATUS, status)]
    )


async def test_counts_by_kind_and_status_and_failing_activities_and_workflow_tasks(
    temporal_dev_server: WorkflowEnvironment,
) -> None:
    client: Client = temporal_dev_server.client
    queue = f"ops-test-{uuid.uuid4().hex[:8]}"
    ids = {name: f"ops-test-{name}-{uuid.uuid4().hex[:8]}" for name in ("retry", "a", "b", "bug")}
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Retrying, Waiting, Broken],
        activities=[always_failing],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        await client.start_workflow(
            Retrying.run,
            id=ids["retry"],
            task_queue=queue,
            search_attributes=attributes("candidate", "in_review"),
        )
        for name, status in (("a", "in_review"), ("b", "received")):
            await client.start_workflow(
                Waiting.run,
                id=ids[name],
                task_queue=queue,
                search_attributes=attributes("candidate", status),
            )
        await client.start_workflow(
            Broken.run,
            id=ids["bug"],
            task_queue=queue,
            search_attributes=attributes("project", "received"),
        )

        async def failing_enough():
            report = await collect_workflows(client, ui_url=UI, task_queue=queue)
            attempts = {(item.workflow_id, item.problem): item.attempt for item in report.failing}
            counted = sum(count.count for count in report.counts)
            done = (
                attempts.get((ids["retry"], "activity"), 0) >= 3
                and (ids["bug"], "workflow_task") in attempts
                and counted == 4
            )
            return report if done else None

        report = await eventually(failing_enough, timeout=60, interval=0.5)

    counts = {(count.kind, count.status): count.count for count in report.counts}
    assert counts == {
        ("candidate", "in_review"): 2,
        ("candidate", "received"): 1,
        ("project", "received"): 1,
    }
    assert report.running == report.described == 4
    retrying = next(item for item in report.failing if item.workflow_id == ids["retry"])
    assert retrying.activity_type == "ops_test_publish"
    assert retrying.last_failure == "Kafka unreachable"
    assert retrying.since is not None
    assert retrying.ui_url.startswith(f"{UI}/namespaces/default/workflows/{ids['retry']}/")
    assert retrying.ui_url.endswith("/history")
    broken = next(item for item in report.failing if item.workflow_id == ids["bug"])
    assert broken.workflow_type == "OpsTestBroken" and broken.attempt >= 2
    for workflow_id in ids.values():
        await client.get_workflow_handle(workflow_id).terminate("test over")
