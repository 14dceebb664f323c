"""The bridge never commits an application while Temporal is unreachable, and catches up after."""

import logging

import pytest
from faststream.kafka import KafkaBroker
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from libs.kafka import publish_event
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import APPLICATIONS
from tests.eventually import eventually
from tests.integration.workflows.conftest import StartWorkflowsProcess
from tests.integration.workflows.tcp_gate import TcpGate
from tests.integration.workflows.test_bridge import (
    bridge_caught_up,
    dossier_workflow,
    first_events,
)
from tests.unit.workflows.dossier.dossiers import candidate_application_submitted

pytestmark = pytest.mark.integration


async def refused_at_least(gate: TcpGate, count: int) -> bool:
    return gate.refused >= count


async def bridge_retried(caplog: pytest.LogCaptureFixture, times: int) -> bool:
    retries = [
        record
        for record in caplog.records
        if record.name == "libs.kafka" and "retrying" in record.getMessage()
    ]
    return len(retries) >= times


class TestTemporalUnreachable:
    async def test_the_process_waits_for_temporal_then_starts_the_pending_dossiers(
        self,
        start_workflows_process: StartWorkflowsProcess,
        temporal_address: str,
        temporal_dev_server: WorkflowEnvironment,
        producer: KafkaBroker,
        kafka_bootstrap: str,
    ) -> None:
        host, port = temporal_address.rsplit(":", 1)
        event = candidate_application_submitted()
        async with (
            TcpGate(host, int(port)) as gate,
            start_workflows_process(
                temporal_address=gate.address, wait_until_ready=False
            ) as process,
        ):
            await publish_event(producer, APPLICATIONS, event)
            await eventually(lambda: refused_at_least(gate, 2))

            assert await process.readiness() == 503
            assert not await bridge_caught_up(kafka_bootstrap, process)

            gate.open()

            received, _in_review = await first_events(kafka_bootstrap, event.dossier_id)
            assert received.status == DossierStatus.RECEIVED
            assert await eventually(lambda: bridge_caught_up(kafka_bootstrap, process))
            assert await eventually(process.is_ready)
        handle = dossier_workflow(temporal_dev_server.client, event.dossier_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await handle.terminate()

    async def test_an_application_read_during_an_outage_is_committed_only_once_started(
        self,
        start_workflows_process: StartWorkflowsProcess,
        temporal_address: str,
        temporal_dev_server: WorkflowEnvironment,
        producer: KafkaBroker,
        kafka_bootstrap: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.WARNING, logger="libs.kafka")
        host, port = temporal_address.rsplit(":", 1)
        event = candidate_application_submitted()
        async with TcpGate(host, int(port)) as gate:
            gate.open()
            async with start_workflows_process(temporal_address=gate.address) as process:
                await gate.shut()
                refused_before = gate.refused
                await publish_event(producer, APPLICATIONS, event)
                # The bridge read the application and failed to start its workflow (the
                # Temporal client retries for about ten seconds before giving up an attempt).
                await eventually(lambda: bridge_retried(caplog, times=1), timeout=60)

                assert gate.refused > refused_before
                assert not await bridge_caught_up(kafka_bootstrap, process)

                gate.open()

                await first_events(kafka_bootstrap, event.dossier_id)
                assert await eventually(lambda: bridge_caught_up(kafka_bootstrap, process))
        handle = dossier_workflow(temporal_dev_server.client, event.dossier_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await handle.terminate()
