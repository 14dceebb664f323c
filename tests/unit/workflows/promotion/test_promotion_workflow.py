"""The promotion workflow on the time-skipping server: round timers, enrolment, seats."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, Protocol

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from tests.eventually import eventually
from tests.time_skipping import skip_time
from tests.unit.workflows.promotion.promotions import (
    PromotionHandle,
    RoundOpenedRecorder,
    round_plan,
    start_promotion,
    take_seats_concurrently,
)
from workflows.dossier.models import dossier_workflow_id
from workflows.promotion.activities import PromotionActivities
from workflows.promotion.models import (
    ADD_ROUND,
    ContractNumberInput,
    EnrolInput,
    LeaveRoundInput,
    PromotionInput,
    RoundPlan,
    RoundRef,
    RoundState,
    SeatInput,
)
from workflows.promotion.workflows import PromotionWorkflow

UPDATE_ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
CONTINUED_AS_NEW = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


class StartPromotion(Protocol):
    def __call__(
        self, *, seat_cap: int = 30, rounds: Sequence[RoundPlan] = ()
    ) -> Awaitable[PromotionHandle]: ...


@pytest.fixture
async def started() -> AsyncIterator[list[WorkflowHandle[Any, Any]]]:
    """Workflows a test started; terminated afterwards so their timers stay out of the way."""
    handles: list[WorkflowHandle[Any, Any]] = []
    yield handles
    for handle in handles:
        with suppress(RPCError):
            await handle.terminate()


@pytest.fixture
def promotion(
    workflow_env: WorkflowEnvironment,
    task_queue: str,
    number: int,
    worker: None,
    started: list[WorkflowHandle[Any, Any]],
) -> StartPromotion:
    async def start(*, seat_cap: int = 30, rounds: Sequence[RoundPlan] = ()) -> PromotionHandle:
        handle = await start_promotion(
            workflow_env.client, task_queue, number, seat_cap=seat_cap, rounds=rounds
        )
        started.append(handle)
        return handle

    return start


@pytest.fixture
async def now(workflow_env: WorkflowEnvironment) -> datetime:
    """Server time: other tests skip it forward, so rounds are planned relative to it."""
    return await workflow_env.get_current_time()


def enrol_input(number: int, kind: DossierKind, not_before: datetime) -> EnrolInput:
    return EnrolInput(
        promotion_number=number, dossier_id=uuid.uuid4(), kind=kind, not_before=not_before
    )


async def state_becomes(
    handle: PromotionHandle, round_id: str, state: RoundState
) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        rounds = {ref.round_id: ref for ref in await handle.query(PromotionWorkflow.calendar)}
        return rounds[round_id].state == state

    return probe


async def states(handle: PromotionHandle) -> dict[str, RoundState]:
    return {ref.round_id: ref.state for ref in await handle.query(PromotionWorkflow.calendar)}


class TestRoundTimers:
    async def test_a_round_deliberates_at_its_cutoff_then_closes_at_its_deliberation(
        self,
        workflow_env: WorkflowEnvironment,
        promotion: StartPromotion,
        number: int,
        now: datetime,
    ) -> None:
        plan = round_plan(
            number,
            DossierKind.PROJECT,
            now,
            cutoff_in=timedelta(days=10),
            deliberation_after=timedelta(days=14),
        )
        handle = await promotion(rounds=[plan])
        assert await states(handle) == {plan.round_id: RoundState.OPEN}

        await skip_time(workflow_env, timedelta(days=9, hours=23))
        assert await states(handle) == {plan.round_id: RoundState.OPEN}

        await skip_time(workflow_env, timedelta(hours=2))
        await eventually(await state_becomes(handle, plan.round_id, RoundState.DELIBERATING))

        await skip_time(workflow_env, timedelta(days=14))
        await eventually(await state_becomes(handle, plan.round_id, RoundState.CLOSED))

    async def test_a_round_added_with_an_earlier_cutoff_deliberates_on_time(
        self,
        workflow_env: WorkflowEnvironment,
        promotion: StartPromotion,
        number: int,
        now: datetime,
    ) -> None:
        later = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=60))
        handle = await promotion(rounds=[later])
        sooner = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=5))

        added = await handle.execute_update(ADD_ROUND, sooner, result_type=RoundRef)
        await skip_time(workflow_env, timedelta(days=6))

        assert added.state == RoundState.OPEN
        await eventually(await state_becomes(handle, sooner.round_id, RoundState.DELIBERATING))
        assert (await states(handle))[later.round_id] == RoundState.OPEN

    async def test_the_calendar_lists_rounds_by_cutoff(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        plans = [
            round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=days))
            for days in (40, 10, 25)
        ]
        handle = await promotion(rounds=plans)

        calendar = await handle.query(PromotionWorkflow.calendar)

        assert [ref.round_id for ref in calendar] == [
            plans[1].round_id,
            plans[2].round_id,
            plans[0].round_id,
        ]


class TestEnrol:
    async def test_a_dossier_joins_the_open_round_of_its_kind_with_the_earliest_cutoff(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        project_later = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=40))
        project_sooner = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=20))
        candidate = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=5))
        handle = await promotion(rounds=[project_later, project_sooner, candidate])
        dossier = enrol_input(number, DossierKind.PROJECT, now)

        result = await handle.execute_update(PromotionWorkflow.enrol, dossier)

        assert result.round is not None
        assert result.round.round_id == project_sooner.round_id
        detail = await handle.query(PromotionWorkflow.round_detail, project_sooner.round_id)
        assert detail is not None
        assert detail.dossier_ids == [dossier.dossier_id]

    async def test_a_dossier_arriving_after_a_cutoff_goes_to_the_next_round(
        self,
        workflow_env: WorkflowEnvironment,
        promotion: StartPromotion,
        number: int,
        now: datetime,
    ) -> None:
        first = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=10))
        second = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=70))
        handle = await promotion(rounds=[first, second])
        await skip_time(workflow_env, timedelta(days=11))
        arrived_at = await workflow_env.get_current_time()

        result = await handle.execute_update(
            PromotionWorkflow.enrol, enrol_input(number, DossierKind.CANDIDATE, arrived_at)
        )

        assert result.round is not None
        assert result.round.round_id == second.round_id

    async def test_a_dossier_that_arrived_after_an_open_rounds_cutoff_skips_it(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        first = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10))
        second = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=70))
        handle = await promotion(rounds=[first, second])
        dossier = enrol_input(number, DossierKind.PROJECT, first.cutoff_at + timedelta(minutes=1))

        result = await handle.execute_update(PromotionWorkflow.enrol, dossier)

        assert result.round is not None
        assert result.round.round_id == second.round_id

    async def test_enrolling_again_gives_the_round_already_joined(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        first = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10))
        second = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=70))
        handle = await promotion(rounds=[first, second])
        dossier = enrol_input(number, DossierKind.PROJECT, now)
        await handle.execute_update(PromotionWorkflow.enrol, dossier)

        again = await handle.execute_update(
            PromotionWorkflow.enrol,
            dossier.model_copy(update={"not_before": now + timedelta(days=20)}),
        )

        assert again.round is not None
        assert again.round.round_id == first.round_id
        detail = await handle.query(PromotionWorkflow.round_detail, first.round_id)
        assert detail is not None
        assert detail.dossier_ids == [dossier.dossier_id]

    async def test_an_unknown_round_has_no_detail(self, promotion: StartPromotion) -> None:
        handle = await promotion()

        assert await handle.query(PromotionWorkflow.round_detail, "no-such-round") is None


class TestWaitingForARound:
    async def test_with_no_open_round_the_dossier_waits_and_is_signalled_when_one_is_added(
        self,
        workflow_env: WorkflowEnvironment,
        task_queue: str,
        promotion: StartPromotion,
        number: int,
        now: datetime,
        started: list[WorkflowHandle[Any, Any]],
    ) -> None:
        other_kind = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=10))
        handle = await promotion(rounds=[other_kind])
        dossier = enrol_input(number, DossierKind.PROJECT, now)
        recorder = await workflow_env.client.start_workflow(
            RoundOpenedRecorder.run,
            id=dossier_workflow_id(dossier.dossier_id),
            task_queue=task_queue,
        )
        started.append(recorder)

        waiting = await handle.execute_update(PromotionWorkflow.enrol, dossier)
        plan = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))
        await handle.execute_update(ADD_ROUND, plan, result_type=RoundRef)

        assert waiting.round is None

        async def signalled() -> list[RoundRef]:
            return await recorder.query(RoundOpenedRecorder.rounds_opened)

        [opened] = await eventually(signalled)
        assert opened.round_id == plan.round_id
        detail = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
        assert detail is not None
        assert detail.dossier_ids == [dossier.dossier_id]
        again = await handle.execute_update(PromotionWorkflow.enrol, dossier)
        assert again.round is not None
        assert again.round.round_id == plan.round_id

    async def test_a_waiter_of_the_other_kind_keeps_waiting(
        self,
        workflow_env: WorkflowEnvironment,
        task_queue: str,
        promotion: StartPromotion,
        number: int,
        now: datetime,
        started: list[WorkflowHandle[Any, Any]],
    ) -> None:
        handle = await promotion()
        candidate = enrol_input(number, DossierKind.CANDIDATE, now)
        recorder = await workflow_env.client.start_workflow(
            RoundOpenedRecorder.run,
            id=dossier_workflow_id(candidate.dossier_id),
            task_queue=task_queue,
        )
        started.append(recorder)
        await handle.execute_update(PromotionWorkflow.enrol, candidate)

        project_round = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))
        await handle.execute_update(ADD_ROUND, project_round, result_type=RoundRef)
        candidate_round = round_plan(
            number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=40)
        )
        await handle.execute_update(ADD_ROUND, candidate_round, result_type=RoundRef)

        async def signalled() -> list[RoundRef]:
            return await recorder.query(RoundOpenedRecorder.rounds_opened)

        # Only the candidate round reached it, though the project round was added first.
        [opened] = await eventually(signalled)
        assert opened.round_id == candidate_round.round_id

    async def test_a_waiter_whose_workflow_is_gone_does_not_stop_the_round(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        handle = await promotion()
        dossier = enrol_input(number, DossierKind.PROJECT, now)
        await handle.execute_update(PromotionWorkflow.enrol, dossier)
        plan = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))

        added = await handle.execute_update(ADD_ROUND, plan, result_type=RoundRef)

        assert added.round_id == plan.round_id
        detail = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
        assert detail is not None
        assert detail.dossier_ids == [dossier.dossier_id]


class TestLeaveRound:
    async def test_a_dossier_that_leaves_is_no_longer_listed_in_its_round(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        plan = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))
        handle = await promotion(rounds=[plan])
        leaving = enrol_input(number, DossierKind.PROJECT, now)
        staying = enrol_input(number, DossierKind.PROJECT, now)
        for dossier in (leaving, staying):
            await handle.execute_update(PromotionWorkflow.enrol, dossier)
        departure = LeaveRoundInput(promotion_number=number, dossier_id=leaving.dossier_id)

        await handle.execute_update(PromotionWorkflow.leave_round, departure)
        await handle.execute_update(PromotionWorkflow.leave_round, departure)  # idempotent

        detail = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
        assert detail is not None
        assert detail.dossier_ids == [staying.dossier_id]

    async def test_a_waiter_that_left_does_not_join_the_next_round(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        handle = await promotion()
        waiter = enrol_input(number, DossierKind.CANDIDATE, now)
        await handle.execute_update(PromotionWorkflow.enrol, waiter)

        await handle.execute_update(
            PromotionWorkflow.leave_round,
            LeaveRoundInput(promotion_number=number, dossier_id=waiter.dossier_id),
        )
        plan = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=30))
        await handle.execute_update(ADD_ROUND, plan, result_type=RoundRef)

        detail = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
        assert detail is not None
        assert detail.dossier_ids == []

    async def test_leaving_another_promotion_is_refused(
        self, promotion: StartPromotion, number: int, now: datetime
    ) -> None:
        plan = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))
        handle = await promotion(rounds=[plan])
        dossier = enrol_input(number, DossierKind.PROJECT, now)
        await handle.execute_update(PromotionWorkflow.enrol, dossier)

        with pytest.raises(WorkflowUpdateFailedError) as refusal:
            await handle.execute_update(
                PromotionWorkflow.leave_round,
                LeaveRoundInput(promotion_number=number + 1, dossier_id=dossier.dossier_id),
            )

        assert isinstance(refusal.value.cause, ApplicationError)
        assert refusal.value.cause.type == "WrongPromotion"
        detail = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
        assert detail is not None and detail.dossier_ids == [dossier.dossier_id]


class TestContractNumbers:
    async def test_forty_concurrent_contracts_get_0001_to_0040_and_keep_their_numbers(
        self, promotion: StartPromotion, number: int
    ) -> None:
        handle = await promotion()
        contracts = [
            ContractNumberInput(promotion_number=number, contract_id=uuid.uuid4())
            for _ in range(40)
        ]

        results = await asyncio.gather(
            *(
                handle.execute_update(PromotionWorkflow.allocate_contract_number, contract)
                for contract in contracts
            )
        )
        again = await handle.execute_update(
            PromotionWorkflow.allocate_contract_number, contracts[17]
        )

        assert sorted(result.sequence for result in results) == list(range(1, 41))
        assert sorted(result.contract_number for result in results) == [
            f"EIG-{number}-{sequence:04d}" for sequence in range(1, 41)
        ]
        assert again == results[17]

    async def test_a_contract_of_another_promotion_is_refused(
        self, promotion: StartPromotion, number: int
    ) -> None:
        handle = await promotion()

        with pytest.raises(WorkflowUpdateFailedError) as refusal:
            await handle.execute_update(
                PromotionWorkflow.allocate_contract_number,
                ContractNumberInput(promotion_number=number + 1, contract_id=uuid.uuid4()),
            )
        first = await handle.execute_update(
            PromotionWorkflow.allocate_contract_number,
            ContractNumberInput(promotion_number=number, contract_id=uuid.uuid4()),
        )

        assert isinstance(refusal.value.cause, ApplicationError)
        assert refusal.value.cause.type == "WrongPromotion"
        assert "promotion_number" in refusal.value.cause.message
        assert (first.sequence, first.contract_number) == (1, f"EIG-{number}-0001")


class TestSeats:
    async def test_reserving_twice_takes_one_seat(
        self, promotion: StartPromotion, number: int
    ) -> None:
        handle = await promotion(seat_cap=30)
        seat = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())

        first = await handle.execute_update(PromotionWorkflow.reserve_seat, seat)
        second = await handle.execute_update(PromotionWorkflow.reserve_seat, seat)

        assert first.granted and second.granted
        assert second.seats_taken == 1
        assert second.message == "1/30 seats taken"

    async def test_forty_concurrent_selections_take_exactly_the_thirty_seats(
        self,
        workflow_env: WorkflowEnvironment,
        task_queue: str,
        promotion: StartPromotion,
        number: int,
    ) -> None:
        handle = await promotion(seat_cap=30)

        # Real time: skipping ahead while the activities run would time them out and retry.
        with workflow_env.auto_time_skipping_disabled():
            results = await take_seats_concurrently(workflow_env.client, task_queue, number, 40)

        granted = [result for result in results if result.granted]
        refused = [result for result in results if not result.granted]
        assert len(granted) == 30
        assert len(refused) == 10
        assert {result.message for result in refused} == {"30/30 seats taken"}
        summary = await handle.query(PromotionWorkflow.seats)
        assert summary.seats_taken == 30
        assert len(set(summary.dossier_ids)) == 30

    async def test_a_released_seat_can_be_taken_by_another_dossier(
        self, promotion: StartPromotion, number: int
    ) -> None:
        handle = await promotion(seat_cap=1)
        holder = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())
        other = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())
        await handle.execute_update(PromotionWorkflow.reserve_seat, holder)

        refused = await handle.execute_update(PromotionWorkflow.reserve_seat, other)
        released = await handle.execute_update(PromotionWorkflow.release_seat, holder)
        released_again = await handle.execute_update(PromotionWorkflow.release_seat, holder)
        granted = await handle.execute_update(PromotionWorkflow.reserve_seat, other)

        assert not refused.granted
        assert refused.message == "1/1 seats taken"
        assert released.seats_taken == 0
        assert released_again.seats_taken == 0
        assert granted.granted
        assert (await handle.query(PromotionWorkflow.seats)).dossier_ids == [other.dossier_id]


class TestRefusedUpdates:
    @pytest.mark.parametrize(
        "problem",
        ["duplicate id", "cutoff in the past", "deliberation before cutoff", "naive cutoff"],
    )
    async def test_a_bad_round_is_refused_without_a_trace_in_history(
        self, promotion: StartPromotion, number: int, now: datetime, problem: str
    ) -> None:
        existing = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10))
        handle = await promotion(rounds=[existing])
        fresh = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=20))
        bad_plans = {
            "duplicate id": existing.model_copy(update={"kind": DossierKind.CANDIDATE}),
            "cutoff in the past": fresh.model_copy(update={"cutoff_at": now - timedelta(days=1)}),
            "deliberation before cutoff": fresh.model_copy(
                update={"deliberation_at": fresh.cutoff_at - timedelta(hours=1)}
            ),
            "naive cutoff": fresh.model_copy(
                update={"cutoff_at": fresh.cutoff_at.replace(tzinfo=None)}
            ),
        }
        calendar_before = await handle.query(PromotionWorkflow.calendar)

        with pytest.raises(WorkflowUpdateFailedError) as refusal:
            await handle.execute_update(ADD_ROUND, bad_plans[problem], result_type=RoundRef)

        assert isinstance(refusal.value.cause, ApplicationError)
        assert await handle.query(PromotionWorkflow.calendar) == calendar_before
        # A good round afterwards is the only update the history records.
        await handle.execute_update(ADD_ROUND, fresh, result_type=RoundRef)
        history = await handle.fetch_history()
        accepted = [event for event in history.events if event.event_type == UPDATE_ACCEPTED]
        assert len(accepted) == 1

    async def test_a_seat_of_another_promotion_is_refused(
        self, promotion: StartPromotion, number: int
    ) -> None:
        handle = await promotion()

        with pytest.raises(WorkflowUpdateFailedError) as refusal:
            await handle.execute_update(
                PromotionWorkflow.reserve_seat,
                SeatInput(promotion_number=number + 1, dossier_id=uuid.uuid4()),
            )

        assert "promotion_number" in str(refusal.value.cause)
        assert (await handle.query(PromotionWorkflow.seats)).seats_taken == 0


@workflow.defn(name="PromotionWorkflow", sandboxed=False)
class QuicklyRenewedPromotion(PromotionWorkflow):
    """The real workflow, continuing as new after three updates instead of a thousand."""

    MAX_UPDATES_PER_RUN = 3

    @workflow.run
    async def run(self, input: PromotionInput) -> None:
        await super().run(input)


async def carried_bytes(client: Client, workflow_id: str, run_id: str) -> int | None:
    """Bytes of the input the run ``run_id`` continued as new with; None while it runs."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    for event in history.events:
        if event.event_type == CONTINUED_AS_NEW:
            payloads = event.workflow_execution_continued_as_new_event_attributes.input.payloads
            return sum(len(payload.data) for payload in payloads)
    return None


async def carried_after_enrolling(
    workflow_env: WorkflowEnvironment,
    now: datetime,
    started: list[WorkflowHandle[Any, Any]],
    *,
    dossiers: int,
) -> int:
    """A promotion with a project and a candidate round, ``dossiers`` enrolled through the
    activity, one seat taken: the bytes its first run carries over."""
    # Five digits, so that round ids (hence bytes) do not depend on the number drawn.
    number = 10_000 + uuid.uuid4().int % 90_000
    task_queue = f"promotion-renewed-{uuid.uuid4()}"
    plans = [
        round_plan(number, kind, now, cutoff_in=timedelta(days=10))
        for kind in (DossierKind.PROJECT, DossierKind.CANDIDATE)
    ]
    activities = PromotionActivities(workflow_env.client)
    async with Worker(
        workflow_env.client, task_queue=task_queue, workflows=[QuicklyRenewedPromotion]
    ):
        handle = await start_promotion(workflow_env.client, task_queue, number, rounds=plans)
        started.append(handle)
        first_run = handle.result_run_id
        assert first_run is not None
        for index in range(dossiers):
            joined = await ActivityEnvironment().run(
                activities.enrol_in_round, enrol_input(number, plans[index % 2].kind, now)
            )
            assert joined.round is not None
        # Three updates of a fixed size make the run continue as new.
        seat = SeatInput(promotion_number=number, dossier_id=uuid.UUID(int=1))
        for _ in range(3):
            await handle.execute_update(PromotionWorkflow.reserve_seat, seat)

        async def carried() -> int | None:
            return await carried_bytes(workflow_env.client, handle.id, first_run)

        size = await eventually(carried)
    assert size is not None
    return size


class TestContinueAsNew:
    async def test_the_next_run_keeps_rounds_seats_and_waiters_not_enrolment_lists(
        self,
        workflow_env: WorkflowEnvironment,
        number: int,
        now: datetime,
        started: list[WorkflowHandle[Any, Any]],
    ) -> None:
        task_queue = f"promotion-renewed-{uuid.uuid4()}"
        plan = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10))
        seat = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())
        enrolled = enrol_input(number, DossierKind.PROJECT, now)
        waiting = enrol_input(number, DossierKind.CANDIDATE, now)
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=[QuicklyRenewedPromotion],
        ):
            handle = await start_promotion(workflow_env.client, task_queue, number, rounds=[plan])
            started.append(handle)
            first_run = handle.result_run_id
            await handle.execute_update(PromotionWorkflow.reserve_seat, seat)
            # The update of runs from before ADR 15: a list entry and a waiter.
            await handle.execute_update(PromotionWorkflow.enrol, enrolled)
            await handle.execute_update(PromotionWorkflow.enrol, waiting)

            async def renewed() -> bool:
                return (await handle.describe()).run_id != first_run

            await eventually(renewed)
            candidate_round = round_plan(
                number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=20)
            )
            await handle.execute_update(ADD_ROUND, candidate_round, result_type=RoundRef)

            summary = await handle.query(PromotionWorkflow.seats)
            project = await handle.query(PromotionWorkflow.round_detail, plan.round_id)
            candidate = await handle.query(PromotionWorkflow.round_detail, candidate_round.round_id)

        assert summary.dossier_ids == [seat.dossier_id]
        # The round is carried, its list of dossiers is not: it would grow with applications.
        assert project is not None and project.dossier_ids == []
        # The waiter recorded by the first run joined the round added in the second.
        assert candidate is not None and candidate.dossier_ids == [waiting.dossier_id]

    async def test_the_carried_state_does_not_grow_with_the_dossiers_enrolled(
        self,
        workflow_env: WorkflowEnvironment,
        now: datetime,
        started: list[WorkflowHandle[Any, Any]],
    ) -> None:
        few = await carried_after_enrolling(workflow_env, now, started, dossiers=2)
        many = await carried_after_enrolling(workflow_env, now, started, dossiers=60)

        # Two rounds and one seat holder weigh the same however many dossiers joined the
        # rounds: 0 bytes per enrolment (the lists carried before cost 39 bytes a dossier).
        assert few == many

    async def test_the_next_run_keeps_the_contract_numbering(
        self,
        workflow_env: WorkflowEnvironment,
        number: int,
        started: list[WorkflowHandle[Any, Any]],
    ) -> None:
        task_queue = f"promotion-renewed-{uuid.uuid4()}"
        contracts = [
            ContractNumberInput(promotion_number=number, contract_id=uuid.uuid4()) for _ in range(4)
        ]
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=[QuicklyRenewedPromotion],
        ):
            handle = await start_promotion(workflow_env.client, task_queue, number)
            started.append(handle)
            first_run = handle.result_run_id
            numbered = [
                await handle.execute_update(PromotionWorkflow.allocate_contract_number, contract)
                for contract in contracts[:3]
            ]

            async def renewed() -> bool:
                return (await handle.describe()).run_id != first_run

            await eventually(renewed)
            again = await handle.execute_update(
                PromotionWorkflow.allocate_contract_number, contracts[1]
            )
            fourth = await handle.execute_update(
                PromotionWorkflow.allocate_contract_number, contracts[3]
            )

        assert [result.contract_number for result in numbered] == [
            f"EIG-{number}-0001", f"EIG-{number}-0002", f"EIG-{number}-0003",
        ]  # fmt: skip
        assert again == numbered[1]
        assert (fourth.sequence, fourth.contract_number) == (4, f"EIG-{number}-0004")
