"""The current promotion in the real workflows process, on the Temporal dev server.

The process (``workflows.worker.run``) seeds the promotion and its worker runs the promotion
workflow and activities, and the dossier workflows; stand-in dossiers and contracts on their own
task queue call those activities.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.engines import free_port
from libs.messages.common import DossierKind
from libs.messages.topics import APPLICATIONS
from tests.eventually import eventually
from tests.integration.workflows.conftest import start_group_at_end
from tests.unit.workflows.dossier.dossiers import act, sample_dossier
from tests.unit.workflows.promotion.promotions import (
    ContractNumberingWorkflow,
    PromotionHandle,
    SeatTakingDossier,
    number_contracts_concurrently,
    take_seats_concurrently,
    unique_promotion_number,
)
from workflows.dossier.models import DossierSnapshot, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow
from workflows.promotion.models import (
    ADD_ROUND,
    ENROL_IN_ROUND,
    ContractNumberInput,
    PromotionInput,
    RoundPlan,
    RoundRef,
    SeatInput,
    promotion_workflow_id,
)
from workflows.promotion.seed import ensure_current_promotion
from workflows.promotion.workflows import PromotionWorkflow
from workflows.settings import WorkflowsSettings
from workflows.worker import run

pytestmark = pytest.mark.integration


@dataclass
class RunningProcess:
    settings: WorkflowsSettings
    promotion: PromotionHandle


@pytest.fixture(scope="module")
async def process(
    kafka_bootstrap: str, temporal_dev_server: WorkflowEnvironment, workflows_database_url: str
) -> AsyncIterator[RunningProcess]:
    """One workflows process for the module, seeding a promotion nobody else uses."""
    group = f"workflows-bridge-test-{uuid.uuid4()}"
    await start_group_at_end(kafka_bootstrap, group, APPLICATIONS)
    settings = WorkflowsSettings(
        _env_file=None,
        DATABASE_URL=workflows_database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        TEMPORAL_ADDRESS=temporal_dev_server.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=f"dossiers-{uuid.uuid4()}",
        WORKFLOWS_BRIDGE_CONSUMER_GROUP=group,
        WORKFLOWS_PORT=free_port(),
        CURRENT_PROMOTION_NUMBER=unique_promotion_number(),
        PROMOTION_SEAT_CAP=30,
    )
    client = temporal_dev_server.client
    promotion: PromotionHandle = client.get_workflow_handle_for(
        PromotionWorkflow.run, promotion_workflow_id(settings.CURRENT_PROMOTION_NUMBER)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    try:

        async def seeded() -> bool:
            with suppress(RPCError):
                return bool(await promotion.query(PromotionWorkflow.calendar))
            return False

        async def ready() -> bool:
            url = f"http://{settings.WORKFLOWS_HOST}:{settings.WORKFLOWS_PORT}/readyz"
            async with httpx.AsyncClient(timeout=5) as http:
                with suppress(httpx.TransportError):
                    return (await http.get(url)).status_code == 200
            return False

        await eventually(ready, timeout=30)
        await eventually(seeded, timeout=30)
        yield RunningProcess(settings, promotion)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        with suppress(RPCError):
            await promotion.terminate()


@pytest.fixture
async def dossiers_queue(temporal_dev_server: WorkflowEnvironment) -> AsyncIterator[str]:
    """A task queue for the stand-in dossiers (their activities run in the process)."""
    task_queue = f"stand-in-dossiers-{uuid.uuid4()}"
    async with Worker(
        temporal_dev_server.client,
        task_queue=task_queue,
        workflows=[SeatTakingDossier, ContractNumberingWorkflow],
    ):
        yield task_queue


class TestSeeding:
    async def test_seeding_again_leaves_one_promotion_workflow(
        self, process: RunningProcess, temporal_dev_server: WorkflowEnvironment
    ) -> None:
        client: Client = temporal_dev_server.client
        seeded_run = (await process.promotion.describe()).run_id

        again = await ensure_current_promotion(
            client, process.settings.TEMPORAL_TASK_QUEUE, process.settings
        )

        assert again.result_run_id == seeded_run
        assert len(await again.query(PromotionWorkflow.calendar)) == 12

        async def runs() -> list[str]:
            query = f'WorkflowId = "{process.promotion.id}"'
            return [execution.run_id async for execution in client.list_workflows(query)]

        assert await eventually(runs) == [seeded_run]


class TestSeats:
    async def test_forty_concurrent_selections_take_exactly_the_thirty_seats(
        self,
        process: RunningProcess,
        dossiers_queue: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        number = process.settings.CURRENT_PROMOTION_NUMBER

        results = await take_seats_concurrently(
            temporal_dev_server.client,
            dossiers_queue,
            number,
            40,
            activity_task_queue=process.settings.TEMPORAL_TASK_QUEUE,
        )

        assert sum(result.granted for result in results) == 30
        refusals = [result.message for result in results if not result.granted]
        assert refusals == ["30/30 seats taken"] * 10
        assert (await process.promotion.query(PromotionWorkflow.seats)).seats_taken == 30

        # A released seat goes to the next selection, and the cap still holds.
        holder = (await process.promotion.query(PromotionWorkflow.seats)).dossier_ids[0]
        await process.promotion.execute_update(
            PromotionWorkflow.release_seat, SeatInput(promotion_number=number, dossier_id=holder)
        )
        late = await take_seats_concurrently(
            temporal_dev_server.client,
            dossiers_queue,
            number,
            2,
            activity_task_queue=process.settings.TEMPORAL_TASK_QUEUE,
        )
        assert sorted(result.granted for result in late) == [False, True]


class TestEnrolment:
    """Dossiers find their round without a write to the promotion (ADR 15)."""

    async def test_a_dossier_joins_its_round_and_the_promotion_records_nothing(
        self, process: RunningProcess, temporal_dev_server: WorkflowEnvironment
    ) -> None:
        number = process.settings.CURRENT_PROMOTION_NUMBER
        events_before = await recorded_events(process.promotion)
        dossiers = [
            await start_dossier(temporal_dev_server.client, process, DossierKind.CANDIDATE, number)
            for _ in range(5)
        ]

        snapshots = [await eventually(enrolled(handle), timeout=30) for handle in dossiers]

        rounds = {snapshot.round.round_id for snapshot in snapshots if snapshot and snapshot.round}
        calendar = await process.promotion.query(PromotionWorkflow.calendar)
        assert rounds == {
            min(
                (ref for ref in calendar if ref.kind == DossierKind.CANDIDATE),
                key=lambda ref: ref.cutoff_at,
            ).round_id
        }
        assert await recorded_events(process.promotion) == events_before
        for handle in dossiers:
            await act(handle, "withdraw", actor="applicant")

    async def test_a_dossier_that_found_no_round_is_told_when_one_opens(
        self, process: RunningProcess, temporal_dev_server: WorkflowEnvironment
    ) -> None:
        client = temporal_dev_server.client
        number = unique_promotion_number()
        promotion = await client.start_workflow(
            PromotionWorkflow.run,
            PromotionInput(number=number, year=2026, seat_cap=30),
            id=promotion_workflow_id(number),
            task_queue=process.settings.TEMPORAL_TASK_QUEUE,
        )
        try:
            handle = await start_dossier(client, process, DossierKind.CANDIDATE, number)
            # Its enrolment answered "no round": it waits, listed nowhere in the promotion.
            await eventually(enrolment_answered(handle), timeout=30)
            assert (await handle.query(DossierWorkflow.snapshot)).round is None
            now = datetime.now(UTC)
            plan = RoundPlan(
                round_id=f"{number}-candidate-late",
                kind=DossierKind.CANDIDATE,
                cutoff_at=now + timedelta(days=30),
                deliberation_at=now + timedelta(days=44),
            )

            await promotion.execute_update(ADD_ROUND, plan, result_type=RoundRef)

            snapshot = await eventually(enrolled(handle), timeout=60)
            assert snapshot is not None and snapshot.round is not None
            assert snapshot.round.round_id == plan.round_id
            await act(handle, "withdraw", actor="applicant")
        finally:
            with suppress(RPCError):
                await promotion.terminate()


async def recorded_events(promotion: PromotionHandle) -> int:
    """Events other than workflow tasks: updates, timers, signals (what enrolling would add)."""
    tasks = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
    history = await promotion.fetch_history()
    return sum(event.event_type not in tasks for event in history.events)


async def start_dossier(
    client: Client, process: RunningProcess, kind: DossierKind, number: int
) -> WorkflowHandle[Any, Any]:
    dossier = sample_dossier(kind, promotion_number=number)
    return await client.start_workflow(
        DOSSIER_WORKFLOWS[kind].run,
        dossier,
        id=dossier_workflow_id(dossier.dossier_id),
        task_queue=process.settings.TEMPORAL_TASK_QUEUE,
    )


def enrolled(handle: WorkflowHandle[Any, Any]) -> Callable[[], Awaitable[DossierSnapshot | None]]:
    async def probe() -> DossierSnapshot | None:
        snapshot: DossierSnapshot = await handle.query(DossierWorkflow.snapshot)
        return snapshot if snapshot.round is not None else None

    return probe


def enrolment_answered(handle: WorkflowHandle[Any, Any]) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        history = await handle.fetch_history()
        scheduled = {
            event.event_id
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and event.activity_task_scheduled_event_attributes.activity_type.name == ENROL_IN_ROUND
        }
        return any(
            event.activity_task_completed_event_attributes.scheduled_event_id in scheduled
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        )

    return probe


class TestContractNumbers:
    async def test_forty_concurrent_contracts_are_numbered_0001_to_0040_once_each(
        self,
        process: RunningProcess,
        dossiers_queue: str,
        temporal_dev_server: WorkflowEnvironment,
    ) -> None:
        number = process.settings.CURRENT_PROMOTION_NUMBER
        contract_ids = [uuid.uuid4() for _ in range(40)]

        results = await number_contracts_concurrently(
            temporal_dev_server.client,
            dossiers_queue,
            number,
            contract_ids,
            activity_task_queue=process.settings.TEMPORAL_TASK_QUEUE,
        )
        [again] = await number_contracts_concurrently(
            temporal_dev_server.client,
            dossiers_queue,
            number,
            [contract_ids[7]],
            activity_task_queue=process.settings.TEMPORAL_TASK_QUEUE,
        )
        direct = await process.promotion.execute_update(
            PromotionWorkflow.allocate_contract_number,
            ContractNumberInput(promotion_number=number, contract_id=contract_ids[7]),
        )

        assert sorted(result.contract_number for result in results) == [
            f"EIG-{number}-{sequence:04d}" for sequence in range(1, 41)
        ]
        assert again == direct == results[7]
