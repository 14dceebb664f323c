"""The promotion workflow: one per promotion, the single owner of its seats and its rounds.

Every reservation goes through this one workflow, whose handlers run one at a time, so
concurrent selections can never take more seats than the cap. Rounds move
open → deliberating (at cut-off) → closed (at deliberation) on durable timers.

It holds only what must be exact and serial (ADR 15): the seat cap and its holders, round
definitions, contract numbers. Dossiers do not enrol here: each finds its round in the calendar
(``rules.round_to_join``) and carries it; the ``enrol`` and ``leave_round`` updates and the
waiters stay for runs and activities from before, and enrolment lists are not carried over.

Deterministic code only: no I/O, no clock, no randomness except through ``workflow.*``. Round
states and what a plan must be are pure ``rules``; refusals are typed (``ErrorType``) and name
the field at fault (``details[0]["field"]``).
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import ClassVar, Final
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from workflows.dossier.models import ROUND_OPENED, dossier_workflow_id
    from workflows.promotion import rules
    from workflows.promotion.models import (
        ADD_ROUND,
        ALLOCATE_CONTRACT_NUMBER,
        CALENDAR,
        ENROL,
        LEAVE_ROUND,
        PROMOTION_WORKFLOW,
        RELEASE_SEAT,
        RESERVE_SEAT,
        ROUND,
        ROUND_OPENED_TO_SEEKERS,
        SEATS,
        TELL_ROUND_OPENED,
        ContractNumberInput,
        ContractNumberResult,
        EnrolInput,
        EnrolResult,
        LeaveRoundInput,
        PromotionInput,
        PromotionState,
        RoundDetail,
        RoundOpenedInput,
        RoundPlan,
        RoundRef,
        RoundState,
        SeatInput,
        SeatResult,
        SeatsSummary,
        Waiter,
    )
    from workflows.promotion.rules import PromotionRefusal
    from workflows.update_handlers import refused_on_error

TELLING_TIMEOUT: Final = timedelta(minutes=30)
"""Time to signal every running dossier of a kind (listing and signalling about 100,000)."""
TELLING_RETRY_POLICY: Final = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1))
"""Signalling again is harmless (a dossier with a round ignores it); not forever."""


@workflow.defn(name=PROMOTION_WORKFLOW)
class PromotionWorkflow:
    """A promotion: its seat cap, its calendar of rounds, who is enrolled where, who holds a seat.

    Updates: ``add_round``, ``enrol``, ``leave_round``, ``reserve_seat``, ``release_seat``,
    ``allocate_contract_number`` (refusals happen in validators, so they leave no trace).
    Queries: ``calendar``, ``seats``, ``round``.
    The workflow runs until cancelled, continuing as new when its history grows.
    """

    MAX_UPDATES_PER_RUN: ClassVar[int] = 1000
    """Continue as new before the server's limit of 2,000 updates per run."""

    @workflow.init
    def __init__(self, input: PromotionInput) -> None:
        self._number = input.number
        self._year = input.year
        self._seat_cap = input.seat_cap
        state = input.carried_state or PromotionState(
            rounds=[RoundRef(**plan.model_dump(exclude={"state"})) for plan in input.rounds]
        )
        self._rounds: dict[str, RoundRef] = {}
        for round_ref in state.rounds:
            # A calendar listing a round twice keeps the first: ids are the rounds' identity.
            self._rounds.setdefault(round_ref.round_id, round_ref)
        self._enrolments: dict[str, list[UUID]] = {
            round_id: list(state.enrolments.get(round_id, [])) for round_id in self._rounds
        }
        # dicts rather than sets: insertion order is deterministic and shown in queries.
        self._seats: dict[UUID, None] = dict.fromkeys(state.seats)
        self._waiters: dict[UUID, Waiter] = {waiter.dossier_id: waiter for waiter in state.waiters}
        self._contract_numbers: dict[UUID, int] = dict(state.contract_numbers)
        self._calendar_changed = False
        self._updates_this_run = 0
        self._telling: list[workflow.ActivityHandle[None]] = []

    @workflow.run
    async def run(self, input: PromotionInput) -> None:
        for round_ref in self._rounds.values():
            # Fails the workflow (not its task, which would retry forever) on a bad calendar.
            with _refused():
                rules.check_plan(round_ref)
        while not self._should_continue_as_new():
            self._advance_rounds()
            self._calendar_changed = False
            deadline = self._next_deadline()
            timeout = None if deadline is None else deadline - workflow.now()
            try:
                # A durable timer to the next cut-off or deliberation, cut short when a round
                # is added (it may come first) or when it is time to continue as new.
                await workflow.wait_condition(
                    lambda: self._calendar_changed or self._should_continue_as_new(),
                    timeout=timeout,
                )
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._told()
        workflow.continue_as_new(self._carried_input())

    # --- Updates -------------------------------------------------------------------------

    @workflow.update(name=ADD_ROUND)
    @refused_on_error
    async def add_round(self, plan: RoundPlan) -> RoundRef:
        """Open a new round; waiting dossiers of its kind are enrolled and signalled."""
        self._updates_this_run += 1
        round_ref = RoundRef(**plan.model_dump(exclude={"state"}), state=RoundState.OPEN)
        self._rounds[plan.round_id] = round_ref
        self._enrolments[plan.round_id] = []
        self._calendar_changed = True
        workflow.logger.info("promotion %s: round %s added", self._number, plan.round_id)
        joining = [
            waiter
            for waiter in self._waiters.values()
            if waiter.kind == plan.kind and waiter.not_before < plan.cutoff_at
        ]
        # State is complete before the first await, so handlers running meanwhile see it.
        for waiter in joining:
            del self._waiters[waiter.dossier_id]
            self._enrolments[plan.round_id].append(waiter.dossier_id)
        await asyncio.gather(
            *(self._tell_round_opened(waiter.dossier_id, round_ref) for waiter in joining)
        )
        if workflow.patched(ROUND_OPENED_TO_SEEKERS):
            # Dossiers that found no round wait for this one without being listed here: an
            # activity finds and signals them, in the background (the update answers now).
            self._telling.append(
                workflow.start_activity(
                    TELL_ROUND_OPENED,
                    RoundOpenedInput(promotion_number=self._number, round=round_ref),
                    start_to_close_timeout=TELLING_TIMEOUT,
                    retry_policy=TELLING_RETRY_POLICY,
                )
            )
        return round_ref

    @add_round.validator
    def _validate_add_round(self, plan: RoundPlan) -> None:
        with _refused():
            rules.check_new_round(plan, workflow.now(), self._rounds)

    @workflow.update(name=ENROL)
    @refused_on_error
    def enrol(self, input: EnrolInput) -> EnrolResult:
        """The open round of the dossier's kind with the earliest cut-off after ``not_before``.

        Kept for activities and histories from before ADR 15 (the ``enrol_in_round`` activity
        now reads the calendar instead). Idempotent: a dossier already in an open round of its
        kind gets that round again. With no such round the dossier waits, and is enrolled and
        signalled ``round_opened`` when one is added.
        """
        self._updates_this_run += 1
        self._advance_rounds()
        open_rounds = sorted(
            (
                round_ref
                for round_ref in self._rounds.values()
                if round_ref.kind == input.kind and round_ref.state == RoundState.OPEN
            ),
            key=lambda round_ref: (round_ref.cutoff_at, round_ref.round_id),
        )
        for round_ref in open_rounds:
            if input.dossier_id in self._enrolments[round_ref.round_id]:
                return EnrolResult(round=round_ref)
        joined = rules.round_to_join(open_rounds, input.kind, input.not_before)
        if joined is None:
            self._waiters[input.dossier_id] = Waiter(
                dossier_id=input.dossier_id, kind=input.kind, not_before=input.not_before
            )
            workflow.logger.info(
                "promotion %s: dossier %s waits for a %s round",
                self._number,
                input.dossier_id,
                input.kind,
            )
            return EnrolResult(round=None)
        self._waiters.pop(input.dossier_id, None)
        self._enrolments[joined.round_id].append(input.dossier_id)
        return EnrolResult(round=joined)

    @enrol.validator
    def _validate_enrol(self, input: EnrolInput) -> None:
        with _refused():
            rules.check_promotion(input.promotion_number, self._number)
            rules.require_aware("not_before", input.not_before)

    @workflow.update(name=LEAVE_ROUND)
    @refused_on_error
    def leave_round(self, input: LeaveRoundInput) -> None:
        """Take the dossier out of every round's list and of the waiters. Idempotent.

        Kept for activities and histories from before ADR 15: the ``leave_round`` activity no
        longer calls it (a final dossier's status is what takes it out of its round's list).
        """
        self._updates_this_run += 1
        for round_id, dossier_ids in list(self._enrolments.items()):
            if input.dossier_id in dossier_ids:
                self._enrolments[round_id] = [
                    dossier_id for dossier_id in dossier_ids if dossier_id != input.dossier_id
                ]
                workflow.logger.info(
                    "promotion %s: dossier %s left round %s",
                    self._number,
                    input.dossier_id,
                    round_id,
                )
        self._waiters.pop(input.dossier_id, None)

    @leave_round.validator
    def _validate_leave_round(self, input: LeaveRoundInput) -> None:
        with _refused():
            rules.check_promotion(input.promotion_number, self._number)

    @workflow.update(name=RESERVE_SEAT)
    @refused_on_error
    def reserve_seat(self, input: SeatInput) -> SeatResult:
        """Take a seat for the dossier, unless all are taken (then ``granted`` is False).

        Idempotent: a dossier already holding a seat keeps it and is granted again. A full
        promotion is an answer, not an error: the dossier workflow decides what follows.
        """
        self._updates_this_run += 1
        if input.dossier_id not in self._seats and len(self._seats) >= self._seat_cap:
            return self._seat_result(granted=False)
        self._seats[input.dossier_id] = None
        return self._seat_result(granted=True)

    @reserve_seat.validator
    def _validate_reserve_seat(self, input: SeatInput) -> None:
        with _refused():
            rules.check_promotion(input.promotion_number, self._number)

    @workflow.update(name=RELEASE_SEAT)
    @refused_on_error
    def release_seat(self, input: SeatInput) -> SeatResult:
        """Free the dossier's seat (``granted`` is False: it holds none any more). Idempotent."""
        self._updates_this_run += 1
        self._seats.pop(input.dossier_id, None)
        return self._seat_result(granted=False)

    @release_seat.validator
    def _validate_release_seat(self, input: SeatInput) -> None:
        with _refused():
            rules.check_promotion(input.promotion_number, self._number)

    @workflow.update(name=ALLOCATE_CONTRACT_NUMBER)
    @refused_on_error
    def allocate_contract_number(self, input: ContractNumberInput) -> ContractNumberResult:
        """The contract's number: the next of the promotion's sequence (1, 2, 3, …).

        Idempotent: a contract numbered already gets its number again. Handlers run one at a
        time, so concurrent contracts never share a number.
        """
        self._updates_this_run += 1
        sequence = self._contract_numbers.get(input.contract_id)
        if sequence is None:
            sequence = len(self._contract_numbers) + 1
            self._contract_numbers[input.contract_id] = sequence
        return ContractNumberResult(
            sequence=sequence, contract_number=rules.contract_number(self._number, sequence)
        )

    @allocate_contract_number.validator
    def _validate_allocate_contract_number(self, input: ContractNumberInput) -> None:
        with _refused():
            rules.check_promotion(input.promotion_number, self._number)

    # --- Queries -------------------------------------------------------------------------

    @workflow.query(name=CALENDAR)
    def calendar(self) -> list[RoundRef]:
        """Every round, by cut-off."""
        return sorted(
            self._rounds.values(), key=lambda round_ref: (round_ref.cutoff_at, round_ref.round_id)
        )

    @workflow.query(name=SEATS)
    def seats(self) -> SeatsSummary:
        return SeatsSummary(
            seats_taken=len(self._seats), seat_cap=self._seat_cap, dossier_ids=list(self._seats)
        )

    @workflow.query(name=ROUND)
    def round_detail(self, round_id: str) -> RoundDetail | None:
        """A round and its enrolled dossiers; None for an unknown round id."""
        round_ref = self._rounds.get(round_id)
        if round_ref is None:
            return None
        return RoundDetail(round=round_ref, dossier_ids=list(self._enrolments[round_id]))

    # --- Internals -----------------------------------------------------------------------

    def _advance_rounds(self) -> None:
        """Move every round to its state at workflow time (handlers may run before a timer)."""
        now = workflow.now()
        for round_id, round_ref in list(self._rounds.items()):
            current = rules.round_as_of(round_ref, now)
            if current is not round_ref:
                self._rounds[round_id] = current
                workflow.logger.info(
                    "promotion %s: round %s is %s", self._number, round_id, current.state.value
                )

    def _next_deadline(self) -> datetime | None:
        deadlines = [
            round_ref.cutoff_at if round_ref.state == RoundState.OPEN else round_ref.deliberation_at
            for round_ref in self._rounds.values()
            if round_ref.state != RoundState.CLOSED
        ]
        return min(deadlines, default=None)

    async def _tell_round_opened(self, dossier_id: UUID, round_ref: RoundRef) -> None:
        handle = workflow.get_external_workflow_handle(dossier_workflow_id(dossier_id))
        try:
            await handle.signal(ROUND_OPENED, round_ref)
        except FailureError as error:
            # The dossier's workflow is gone (withdrawn, closed): nobody is left to tell.
            workflow.logger.warning(
                "promotion %s: dossier %s not signalled of round %s (%s)",
                self._number,
                dossier_id,
                round_ref.round_id,
                error.message,
            )

    async def _told(self) -> None:
        """Wait for the signalling of added rounds: a next run would not know of it."""
        for telling in self._telling:
            try:
                await telling
            except ActivityError as error:
                # Out of retries: dossiers still waiting are told when the next round opens.
                workflow.logger.warning(
                    "promotion %s: waiting dossiers not all told of a round (%s)",
                    self._number,
                    error.message,
                )
        self._telling.clear()

    def _seat_result(self, *, granted: bool) -> SeatResult:
        taken = len(self._seats)
        return SeatResult(
            granted=granted,
            seats_taken=taken,
            seat_cap=self._seat_cap,
            message=rules.seats_message(taken, self._seat_cap),
        )

    def _should_continue_as_new(self) -> bool:
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._updates_this_run >= self.MAX_UPDATES_PER_RUN
        )

    def _carried_input(self) -> PromotionInput:
        return PromotionInput(
            number=self._number,
            year=self._year,
            seat_cap=self._seat_cap,
            carried_state=PromotionState(
                rounds=list(self._rounds.values()),
                seats=list(self._seats),
                # Not carried: lists of dossiers would grow with the applications (ADR 15).
                enrolments={},
                waiters=list(self._waiters.values()),
                contract_numbers=dict(self._contract_numbers),
            ),
        )


PROMOTION_WORKFLOWS: Final[list[type]] = [PromotionWorkflow]
"""The workflow classes a worker registers for promotions."""


@contextmanager
def _refused() -> Iterator[None]:
    """A rule's refusal as the typed ApplicationError callers read (it names its field)."""
    try:
        yield
    except PromotionRefusal as refusal:
        raise rules.refusal_error(refusal) from None
