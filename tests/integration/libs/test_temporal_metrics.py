"""The Temporal SDK's own metrics reach the process registry, in Prometheus' conventions."""

import uuid
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from libs.temporal_metrics import TemporalSdkMetrics

pytestmark = pytest.mark.integration


@activity.defn(name="metrics_test_greet")
async def greet(name: str) -> str:
    return f"bonjour {name}"


@workflow.defn(name="MetricsTestWorkflow")
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_completed_workflows_and_latencies_are_exported(
    temporal_time_skipping: WorkflowEnvironment,
) -> None:
    sdk_metrics = TemporalSdkMetrics()
    registry = CollectorRegistry()
    registry.register(sdk_metrics)
    client = await Client.connect(
        temporal_time_skipping.client.service_client.config.target_host,
        namespace=temporal_time_skipping.client.namespace,
        data_converter=pydantic_data_converter,
        runtime=sdk_metrics.runtime(logging=LoggingConfig(filter="ERROR")),
    )
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Greeting],
        activities=[greet],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        for _ in range(2):
            await client.execute_workflow(
                Greeting.run, "Camille", id=f"metrics-{uuid.uuid4()}", task_queue=queue
            )

    labels = {"task_queue": queue, "workflow_type": "MetricsTestWorkflow"}
    completed = registry.get_sample_value(
        "temporal_workflow_completed_total",
        {**labels, "namespace": client.namespace, "service_name": "temporal-core-sdk"},
    )
    assert completed == 2
    text = generate_latest(registry).decode()
    assert "# TYPE temporal_workflow_completed_total counter" in text
    assert "# TYPE temporal_activity_execution_latency_seconds histogram" in text
    buckets = [
        line
        for line in text.splitlines()
        if line.startswith("temporal_activity_execution_latency_seconds_count")
        and f'task_queue="{queue}"' in line
    ]
    assert buckets and buckets[0].endswith(" 2.0")


def test_a_collector_registered_before_its_runtime_exists_exports_nothing_yet() -> None:
    registry = CollectorRegistry()
    sdk_metrics = TemporalSdkMetrics()

    registry.register(sdk_metrics)

    assert "temporal_" not in generate_latest(registry).decode()
