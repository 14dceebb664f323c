"""The activities dossier workflows call: seats and numbers one update each, applied once
however often retried; enrolling and leaving a round write nothing to the promotion."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from libs.messages.common import DossierKind
from tests.eventually import eventually
from tests.unit.workflows.promotion.promotions import (
    PromotionHandle,
    round_plan,
    start_promotion,
    unique_promotion_number,
)
from workflows.error_types import ErrorType
from workflows.promotion.activities import PromotionActivities
from workflows.promotion.models import (
    ADD_ROUND,
    ContractNumberInput,
    EnrolInput,
    LeaveRoundInput,
    RoundRef,
    SeatInput,
)
from workflows.promotion.workflows import PromotionWorkflow


@pytest.fixture
async def promotion(
    workflow_env: WorkflowEnvironment, task_queue: str, number: int, worker: None
) -> AsyncIterator[PromotionHandle]:
    now = await workflow_env.get_current_time()
    handle = await start_promotion(
        workflow_env.client,
        task_queue,
        number,
        seat_cap=30,
        rounds=[round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=30))],
    )
    yield handle
    with suppress(RPCError):
        await handle.terminate()


@pytest.fixture
def activities(workflow_env: WorkflowEnvironment) -> PromotionActivities:
    return PromotionActivities(workflow_env.client)


WORKFLOW_TASK_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
)


async def history_length(promotion: PromotionHandle) -> int:
    """Events of the promotion's history other than its workflow tasks (updates, timers,
    signals: what an enrolment would add), once it waits on its round's timer."""

    async def settled() -> int | None:
        types = [event.event_type for event in (await promotion.fetch_history()).events]
        if EventType.EVENT_TYPE_TIMER_STARTED not in types:
            return None  # its first task is not recorded yet
        return sum(event_type not in WORKFLOW_TASK_EVENTS for event_type in types)

    length = await eventually(settled)
    assert length is not None
    return length


def attempt_of(activity_id: str) -> ActivityEnvironment:
    """An activity environment standing for ``activity_id`` of one dossier workflow run."""
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info, workflow_run_id="dossier-run-1", activity_id=activity_id
    )
    return environment


class TestReserveSeat:
    async def test_a_retried_attempt_does_not_take_the_seat_again(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        seat = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())
        first = await attempt_of("5").run(activities.reserve_seat, seat)
        await promotion.execute_update(PromotionWorkflow.release_seat, seat)

        retried = await attempt_of("5").run(activities.reserve_seat, seat)

        # The server answers the retry with the first attempt's outcome, applying nothing.
        assert retried == first
        assert (await promotion.query(PromotionWorkflow.seats)).seats_taken == 0

    async def test_a_later_call_of_the_same_dossier_is_a_new_reservation(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        seat = SeatInput(promotion_number=number, dossier_id=uuid.uuid4())
        await attempt_of("5").run(activities.reserve_seat, seat)
        await attempt_of("6").run(activities.release_seat, seat)

        again = await attempt_of("7").run(activities.reserve_seat, seat)

        assert again.granted
        assert (await promotion.query(PromotionWorkflow.seats)).dossier_ids == [seat.dossier_id]


class TestEnrolInRound:
    async def test_the_dossier_joins_the_open_round(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        [open_round] = await promotion.query(PromotionWorkflow.calendar)
        dossier = EnrolInput(
            promotion_number=number,
            dossier_id=uuid.uuid4(),
            kind=DossierKind.PROJECT,
            not_before=open_round.cutoff_at - timedelta(days=1),
        )

        result = await attempt_of("3").run(activities.enrol_in_round, dossier)

        assert result.round is not None
        assert result.round.round_id == open_round.round_id

    async def test_enrolling_writes_nothing_to_the_promotion(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        [open_round] = await promotion.query(PromotionWorkflow.calendar)
        before = await history_length(promotion)

        joined = [
            await attempt_of(str(n)).run(
                activities.enrol_in_round,
                EnrolInput(
                    promotion_number=number,
                    dossier_id=uuid.uuid4(),
                    kind=DossierKind.PROJECT,
                    not_before=open_round.cutoff_at - timedelta(days=1),
                ),
            )
            for n in range(20)
        ]

        assert {result.round.round_id for result in joined if result.round} == {open_round.round_id}
        # A query: no update, no event, whatever the number of dossiers.
        assert await history_length(promotion) == before

    async def test_with_no_open_round_of_its_kind_the_dossier_is_told_to_wait(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        [open_round] = await promotion.query(PromotionWorkflow.calendar)
        candidate = EnrolInput(
            promotion_number=number,
            dossier_id=uuid.uuid4(),
            kind=DossierKind.CANDIDATE,
            not_before=open_round.cutoff_at - timedelta(days=1),
        )

        result = await attempt_of("3").run(activities.enrol_in_round, candidate)

        assert result.round is None

    async def test_a_round_added_a_moment_ago_is_found_though_the_calendar_was_read(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        [open_round] = await promotion.query(PromotionWorkflow.calendar)
        now = open_round.cutoff_at - timedelta(days=1)
        candidate = EnrolInput(
            promotion_number=number,
            dossier_id=uuid.uuid4(),
            kind=DossierKind.CANDIDATE,
            not_before=now,
        )
        await attempt_of("3").run(activities.enrol_in_round, candidate)  # reads the calendar
        added = round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=5))
        await promotion.execute_update(ADD_ROUND, added, result_type=RoundRef)

        result = await attempt_of("4").run(activities.enrol_in_round, candidate)

        assert result.round is not None and result.round.round_id == added.round_id

    async def test_a_round_added_with_an_earlier_cut_off_is_joined_at_once(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        # The calendar read for the first dossier must not hide the round added after it.
        [open_round] = await promotion.query(PromotionWorkflow.calendar)
        now = open_round.cutoff_at - timedelta(days=20)

        def project() -> EnrolInput:
            return EnrolInput(
                promotion_number=number,
                dossier_id=uuid.uuid4(),
                kind=DossierKind.PROJECT,
                not_before=now,
            )

        first = await attempt_of("3").run(activities.enrol_in_round, project())
        added = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=5))
        await promotion.execute_update(ADD_ROUND, added, result_type=RoundRef)

        second = await attempt_of("3").run(activities.enrol_in_round, project())

        assert first.round is not None and first.round.round_id == open_round.round_id
        assert second.round is not None and second.round.round_id == added.round_id

    async def test_a_refused_input_fails_the_activity_for_good(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        naive = EnrolInput(
            promotion_number=number,
            dossier_id=uuid.uuid4(),
            kind=DossierKind.PROJECT,
            not_before=datetime(2026, 3, 1, 12, 0),
        )

        with pytest.raises(ApplicationError) as failure:
            await attempt_of("3").run(activities.enrol_in_round, naive)

        assert failure.value.type == ErrorType.PROMOTION_REFUSED
        assert failure.value.non_retryable
        assert "not_before" in failure.value.message


class TestLeaveRound:
    async def test_leaving_writes_nothing_to_the_promotion(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        before = await history_length(promotion)

        await attempt_of("9").run(
            activities.leave_round,
            LeaveRoundInput(promotion_number=number, dossier_id=uuid.uuid4()),
        )

        assert await history_length(promotion) == before

    async def test_a_promotion_that_does_not_run_has_no_round_to_leave(
        self, activities: PromotionActivities
    ) -> None:
        departure = LeaveRoundInput(
            promotion_number=unique_promotion_number(), dossier_id=uuid.uuid4()
        )

        # Returns (no error to retry for ever) rather than keep a final dossier waiting.
        await attempt_of("9").run(activities.leave_round, departure)


class TestAllocateContractNumber:
    async def test_a_retried_or_repeated_call_for_a_contract_is_applied_once(
        self, promotion: PromotionHandle, activities: PromotionActivities, number: int
    ) -> None:
        contract = ContractNumberInput(promotion_number=number, contract_id=uuid.uuid4())
        other = ContractNumberInput(promotion_number=number, contract_id=uuid.uuid4())

        first = await attempt_of("4").run(activities.allocate_contract_number, contract)
        retried = await attempt_of("4").run(activities.allocate_contract_number, contract)
        called_again = await attempt_of("11").run(activities.allocate_contract_number, contract)
        second = await attempt_of("4").run(activities.allocate_contract_number, other)

        assert first.contract_number == f"EIG-{number}-0001"
        assert retried == called_again == first
        assert second.contract_number == f"EIG-{number}-0002"
        # The update id is the contract's: the server applied one update per contract.
        history = await promotion.fetch_history()
        accepted = [
            event
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        assert len(accepted) == 2
