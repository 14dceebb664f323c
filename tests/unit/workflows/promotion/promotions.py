"""Promotions to test against: rounds relative to server time, stand-in dossier workflows."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from workflows.dossier.models import ROUND_OPENED
from workflows.promotion.activities import PromotionActivities
from workflows.promotion.models import (
    ALLOCATE_CONTRACT_NUMBER,
    RESERVE_SEAT,
    ContractNumberInput,
    ContractNumberResult,
    PromotionInput,
    RoundPlan,
    RoundRef,
    SeatInput,
    SeatResult,
    promotion_workflow_id,
)
from workflows.promotion.workflows import PromotionWorkflow

PromotionHandle = WorkflowHandle[PromotionWorkflow, None]


def unique_promotion_number() -> int:
    """Promotions share the session's server: each test gets a number nobody else uses."""
    return 1_000 + uuid.uuid4().int % 1_000_000_000


def round_plan(
    number: int,
    kind: DossierKind,
    now: datetime,
    *,
    cutoff_in: timedelta,
    deliberation_after: timedelta = timedelta(days=14),
) -> RoundPlan:
    cutoff_at = now + cutoff_in
    return RoundPlan(
        round_id=f"{number}-{kind.value}-{cutoff_at:%Y-%m-%d}",
        kind=kind,
        cutoff_at=cutoff_at,
        deliberation_at=cutoff_at + deliberation_after,
    )


@workflow.defn(name="RoundOpenedRecorder", sandboxed=False)
class RoundOpenedRecorder:
    """Stands in for a dossier workflow: records the ``round_opened`` signals it receives."""

    def __init__(self) -> None:
        self._rounds: list[RoundRef] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=ROUND_OPENED)
    def round_opened(self, round_ref: RoundRef) -> None:
        self._rounds.append(round_ref)

    @workflow.query
    def rounds_opened(self) -> list[RoundRef]:
        return list(self._rounds)


class SeatTaking(BaseModel):
    seat: SeatInput
    activity_task_queue: str | None = Field(
        default=None, description="Where the promotion's activities run; default: this one's"
    )


@workflow.defn(name="SeatTakingDossier", sandboxed=False)
class SeatTakingDossier:
    """Stands in for a dossier being selected: reserves its seat through the real activity."""

    @workflow.run
    async def run(self, input: SeatTaking) -> SeatResult:
        result: SeatResult = await workflow.execute_activity(
            RESERVE_SEAT,
            input.seat,
            result_type=SeatResult,
            task_queue=input.activity_task_queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        return result


class ContractNumbering(BaseModel):
    contract: ContractNumberInput
    activity_task_queue: str | None = Field(
        default=None, description="Where the promotion's activities run; default: this one's"
    )


@workflow.defn(name="ContractNumberingWorkflow", sandboxed=False)
class ContractNumberingWorkflow:
    """Stands in for a contract being drawn up: numbers it through the real activity."""

    @workflow.run
    async def run(self, input: ContractNumbering) -> ContractNumberResult:
        result: ContractNumberResult = await workflow.execute_activity(
            ALLOCATE_CONTRACT_NUMBER,
            input.contract,
            result_type=ContractNumberResult,
            task_queue=input.activity_task_queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        return result


@asynccontextmanager
async def promotion_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """The promotion workflow, its real activities and the stand-in dossiers."""
    activities = PromotionActivities(client)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[
            PromotionWorkflow,
            RoundOpenedRecorder,
            SeatTakingDossier,
            ContractNumberingWorkflow,
        ],
        activities=[
            activities.enrol_in_round,
            activities.leave_round,
            activities.reserve_seat,
            activities.release_seat,
            activities.allocate_contract_number,
            activities.tell_round_opened,
        ],
    ) as worker:
        yield worker


async def start_promotion(
    client: Client,
    task_queue: str,
    number: int,
    *,
    seat_cap: int = 30,
    rounds: Sequence[RoundPlan] = (),
) -> PromotionHandle:
    return await client.start_workflow(
        PromotionWorkflow.run,
        PromotionInput(number=number, year=2026, seat_cap=seat_cap, rounds=list(rounds)),
        id=promotion_workflow_id(number),
        task_queue=task_queue,
    )


async def take_seats_concurrently(
    client: Client,
    task_queue: str,
    number: int,
    dossiers: int,
    *,
    activity_task_queue: str | None = None,
) -> list[SeatResult]:
    """``dossiers`` stand-in dossiers reserve a seat at once, each through the activity."""
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                SeatTakingDossier.run,
                SeatTaking(
                    seat=SeatInput(promotion_number=number, dossier_id=dossier_id),
                    activity_task_queue=activity_task_queue,
                ),
                id=f"seat-taking-{dossier_id}",
                task_queue=task_queue,
            )
            for dossier_id in (uuid.uuid4() for _ in range(dossiers))
        )
    )
    return list(await asyncio.gather(*(handle.result() for handle in handles)))


async def number_contracts_concurrently(
    client: Client,
    task_queue: str,
    number: int,
    contract_ids: Sequence[uuid.UUID],
    *,
    activity_task_queue: str | None = None,
) -> list[ContractNumberResult]:
    """Stand-in contract workflows number ``contract_ids`` at once, each through the activity."""
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                ContractNumberingWorkflow.run,
                ContractNumbering(
                    contract=ContractNumberInput(promotion_number=number, contract_id=contract_id),
                    activity_task_queue=activity_task_queue,
                ),
                id=f"contract-numbering-{uuid.uuid4()}",
                task_queue=task_queue,
            )
            for contract_id in contract_ids
        )
    )
    return list(await asyncio.gather(*(handle.result() for handle in handles)))
