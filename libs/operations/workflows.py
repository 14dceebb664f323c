"""Workflows from Temporal: dossier counts by kind and status (visibility, the search
attributes the dossier workflows keep), and running workflows whose activities or workflow
tasks keep failing (their pending tasks, as ``describe`` shows them), each with its UI link."""

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.operations.report import FailingWorkflow, WorkflowCount, Workflows

CONCURRENCY = 10
"""Visibility and describe calls in flight at once: enough to be quick, not to load Temporal."""


def ui_link(ui_url: str, namespace: str, workflow_id: str, run_id: str) -> str:
    return (
        f"{ui_url.rstrip('/')}/namespaces/{quote(namespace)}/workflows/"
        f"{quote(workflow_id, safe='')}/{quote(run_id)}/history"
    )


def _time(stamp: Timestamp) -> datetime | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def _scoped(query: str, task_queue: str | None) -> str:
    return query if task_queue is None else f'{query} AND TaskQueue = "{task_queue}"'


async def _counts(
    client: Client, limit: asyncio.Semaphore, task_queue: str | None
) -> list[WorkflowCount]:
    async def count(kind: DossierKind, status: DossierStatus) -> WorkflowCount:
        async with limit:
            found = await client.count_workflows(
                _scoped(
                    f'DossierKind = "{kind.value}" AND DossierStatus = "{status.value}"',
                    task_queue,
                )
            )
        return WorkflowCount(kind=kind.value, status=status.value, count=found.count)

    counted = await asyncio.gather(
        *(count(kind, status) for kind in DossierKind for status in DossierStatus)
    )
    return [item for item in counted if item.count]


async def _failing(
    client: Client, execution: WorkflowExecution, ui_url: str, limit: asyncio.Semaphore
) -> list[FailingWorkflow]:
    async with limit:
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        try:
            raw = (await handle.describe()).raw_description
        except RPCError:
            return []  # gone meanwhile (retention): nothing pending any more
    link = ui_link(ui_url, client.namespace, execution.id, execution.run_id)
    found = [
        FailingWorkflow(
            workflow_id=execution.id,
            run_id=execution.run_id,
            workflow_type=execution.workflow_type,
            problem="activity",
            activity_type=activity.activity_type.name,
            attempt=activity.attempt,
            last_failure=activity.last_failure.message or None,
            since=_time(activity.scheduled_time),
            ui_url=link,
        )
        for activity in raw.pending_activities
        if activity.attempt > 1
    ]
    task = raw.pending_workflow_task
    if raw.HasField("pending_workflow_task") and task.attempt > 1:
        found.append(
            FailingWorkflow(
                workflow_id=execution.id,
                run_id=execution.run_id,
                workflow_type=execution.workflow_type,
                problem="workflow_task",
                attempt=task.attempt,
                last_failure=None,
                since=_time(task.original_scheduled_time),
                ui_url=link,
            )
        )
    return found


async def collect_workflows(
    client: Client,
    *,
    ui_url: str,
    task_queue: str | None = None,
    max_described: int = 1000,
) -> Workflows:
    """Counts, then the failing tasks of up to ``max_described`` running workflows; only
    those of ``task_queue`` when given (the platform's, ``TEMPORAL_TASK_QUEUE``)."""
    limit = asyncio.Semaphore(CONCURRENCY)
    counts = await _counts(client, limit, task_queue)
    running_query = _scoped('ExecutionStatus = "Running"', task_queue)
    running = (await client.count_workflows(running_query)).count
    executions = [
        execution async for execution in client.list_workflows(running_query, limit=max_described)
    ]
    failing = await asyncio.gather(
        *(_failing(client, execution, ui_url, limit) for execution in executions)
    )
    return Workflows(
        counts=counts,
        running=running,
        described=len(executions),
        failing=sorted(
            (item for items in failing for item in items),
            key=lambda item: item.attempt,
            reverse=True,
        ),
    )
