"""The dossier workflows: one long-running workflow per dossier, the authority on its status.

Deterministic code only: no I/O, no clock, no randomness except through ``workflow.*``. Kafka,
the promotion and other dossiers are reached through activities called by name, so this module
never imports their clients. What may happen when is decided by the pure ``rules``;
this module applies those decisions, one at a time, and records them.
"""

import asyncio
import contextlib
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    # Contact's EmailStr imports email_validator lazily, mid-workflow: pass it through up front
    # rather than let the sandbox reload it on every run.
    import email_validator  # noqa: F401
    from pydantic import BaseModel

    from libs.messages.common import DossierKind
    from libs.messages.contract_events import ContractStatus
    from libs.messages.dossier_events import (
        Detail,
        DossierDeadlinePassed,
        DossierStatus,
        DossierStatusChanged,
        Outcome,
    )
    from workflows.action_rules import ActionRefusal, refusal_error
    from workflows.contract.models import (
        CONTRACT_WORKFLOW,
        ContractInput,
        ContractOutcome,
        contract_workflow_id,
    )
    from workflows.dossier import rules
    from workflows.dossier.models import (
        APPLY_ACTION,
        DESCRIBE_DOSSIER,
        PUBLISH_DEADLINE_PASSED,
        PUBLISH_STATUS_CHANGE,
        ROUND_OPENED,
        SNAPSHOT,
        SYSTEM,
        ActionRequest,
        ActionResult,
        DescribeDossierInput,
        DossierInput,
        DossierSnapshot,
        ProposeMatch,
        PublishDeadlinePassedInput,
        PublishStatusChangeInput,
        TimelineEntry,
    )
    from workflows.dossier.rules import ActionRule, Decision, DossierFacts, Effect
    from workflows.error_types import ErrorType
    from workflows.promotion.models import (
        ENROL_IN_ROUND,
        LEAVE_ROUND,
        RELEASE_SEAT,
        RESERVE_SEAT,
        EnrolInput,
        EnrolResult,
        LeaveRoundInput,
        RoundRef,
        SeatInput,
        SeatResult,
    )
    from workflows.retry_policies import RETRY_FOREVER
    from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS
    from workflows.update_handlers import refused_on_error

AUTOMATIC_FIRST_STAGE = "automatic-first-stage"
"""Patch id: dossiers started before the staff-driven stages stay in ``received`` (their
recorded history has no automatic step); new ones go on to their first stage by themselves.
Once no dossier from before is left, replace ``patched`` with ``deprecate_patch``."""

DECISIONS_AFTER_CUTOFF = "decisions-after-round-cutoff"
"""Patch id: a defended project wakes up at its round's cut-off (a timer), from when the jury's
decision is allowed. Histories recorded before have no such timer and hold decisions taken while
the round was open: they replay as recorded."""

CONTRACT_ON_SELECTION = "contract-on-selection"
"""Patch id: a selected candidate's contract is drafted by a child ``ContractWorkflow``.
Candidates selected before contracts existed replay without one."""

LEAVE_ROUND_WHEN_FINAL = "leave-round-when-final"
"""Patch id: a dossier that reaches a final status leaves its promotion's rounds
(``leave_round``). Histories recorded before end without that activity."""

PUBLISH_TIMEOUT = timedelta(seconds=30)
# Publishing is idempotent for consumers (same event id on every attempt), so retrying
# forever is safe and rides out a broker restart.
PUBLISH_RETRY_POLICY = RETRY_FOREVER
# Calls made while staff wait for an answer (or while the dossier holds its action lock) give
# up after about a minute: the action is then refused, or the dossier waits for round_opened.
PROMOTION_TIMEOUT = timedelta(seconds=30)
PROMOTION_RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=20),
    maximum_attempts=6,
)
DESCRIBE_TIMEOUT = timedelta(seconds=10)
DESCRIBE_RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=3,
    non_retryable_error_types=[ErrorType.DOSSIER_NOT_FOUND],
)
# Giving a seat back, or leaving the rounds, must happen whatever the delay (the dossier is
# final, nobody waits); both are idempotent on the promotion's side.
RELEASE_RETRY_POLICY = PUBLISH_RETRY_POLICY
LEAVE_ROUND_RETRY_POLICY = PUBLISH_RETRY_POLICY


@dataclass(frozen=True)
class Effected:
    """A decision once its effect is done: what is recorded, and what follows."""

    status: DossierStatus
    facts: DossierFacts
    details: dict[str, str]
    contract_id: UUID | None = None
    """The contract to start as a child workflow (a candidate's selection)."""


class DossierWorkflow:
    """What every dossier does, whatever its kind.

    It records ``received``, goes on to its first stage by itself, then moves only through the
    ``apply_action`` update (staff and applicant actions, checked by ``rules``) and the
    ``round_opened`` signal, until a final status. Every change is recorded in the timeline,
    made searchable and published. A stage that waits for staff has a deadline: once it passes,
    the dossier is flagged overdue and a reminder event is published.

    Subclasses only declare their kind and their ``@workflow.run`` method (Temporal requires it
    on the registered class).
    """

    KIND: ClassVar[DossierKind]

    @workflow.init
    def __init__(self, input: DossierInput) -> None:
        self._input = input
        self._timeline: list[TimelineEntry] = []
        self._facts = DossierFacts(requires_investigation=input.requires_investigation)
        # Deferred projects join a round whose cut-off is after this.
        self._enrol_not_before: datetime | None = None
        self._matched_project: DossierSnapshot | None = None
        self._seat_held = False
        # The selected candidate's contract (a child workflow) and whether it ran its course.
        self._contract_id: UUID | None = None
        self._contract_ended = False
        self._contract_follower: asyncio.Task[None] | None = None
        # Each transition is a new stage visit: a deadline belongs to one visit.
        self._visits = 0
        self._deadline_at: datetime | None = None
        self._overdue = False
        # One action (or automatic step) at a time: each sees the status the previous left.
        self._acting = asyncio.Lock()
        # Events leave in the order they were recorded, even if handlers overlap.
        self._publishing = asyncio.Lock()

    @property
    def _status(self) -> DossierStatus | None:
        return self._timeline[-1].status if self._timeline else None

    @property
    def _allowed_actions(self) -> list[str]:
        # In a query, workflow time is that of the last workflow task: the wake-up at a round's
        # cut-off (_wait_until_final) keeps it from lagging behind what time alone allows.
        return rules.allowed_actions(self.KIND, self._status, self._facts, workflow.now())

    # Messages.

    @workflow.query(name=SNAPSHOT)
    def snapshot(self) -> DossierSnapshot:
        return DossierSnapshot(
            dossier_id=self._input.dossier_id,
            kind=self._input.kind,
            status=self._status,
            timeline=list(self._timeline),
            title=self._input.title,
            allowed_actions=self._allowed_actions,
            overdue=self._overdue,
            deadline_at=self._deadline_at,
            round=self._facts.round,
            promotion_number=self._input.promotion_number,
            role=self._input.role,
            profiles_wanted=list(self._input.profiles_wanted),
            requires_investigation=self._facts.requires_investigation,
            investigation_done=self._facts.investigation_done,
            matched_project_id=(
                self._matched_project.dossier_id if self._matched_project is not None else None
            ),
            administration_name=self._input.administration_name,
            contact=self._input.contact,
            contract_id=self._contract_id,
        )

    @workflow.update(name=APPLY_ACTION)
    @refused_on_error
    async def apply_action(self, request: ActionRequest) -> ActionResult:
        """Apply one action; fails with ActionRefused / SeatsExhausted when the world says no."""
        async with self._acting:
            rule, body = self._admit_again(request)
            await self._apply(request, rule, body)
            status = self._status
            assert status is not None  # admitted actions need a status
            return ActionResult(status=status, allowed_actions=self._allowed_actions)

    @apply_action.validator
    def _validate_action(self, request: ActionRequest) -> None:
        """Refuse before anything is written to history: unknown, not allowed now, bad body."""
        self._admit(request)

    @workflow.signal(name=ROUND_OPENED)
    async def round_opened(self, round: RoundRef) -> None:
        """A round of this dossier's kind opened: a dossier waiting for one enrols now."""
        if round.kind != self.KIND:
            return
        async with self._acting:
            await self._enrol_if_needed()

    # Life of a dossier.

    async def run(self, input: DossierInput) -> None:
        """The common life of a dossier; subclasses re-declare it with ``@workflow.run``."""
        async with self._acting:
            await self._transition(DossierStatus.RECEIVED)
            if workflow.patched(AUTOMATIC_FIRST_STAGE):
                await self._transition(rules.FIRST_STAGE[self.KIND])
                await self._enrol_if_needed()
        await self._wait_until_final()
        follower = self._contract_follower
        if follower is not None and not follower.done():
            # Final before its contract (a withdrawal): cancel the contract, then free the seat.
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        # An EIG whose contract ran its course keeps their seat: the promotion counted them.
        if self._seat_held and not self._contract_ended:
            await self._release_seat()
        if workflow.patched(LEAVE_ROUND_WHEN_FINAL):
            await self._leave_rounds()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _wait_until_final(self) -> None:
        """Wait for each stage to end, flagging it overdue once if its deadline passes first.

        A stage whose allowed actions change with time alone (a defended project at its
        round's cut-off) also wakes up then, so that the snapshot shows them.
        """
        while not rules.is_final(self._status) and not self._contract_ended:
            visit = self._visits

            def moved_on(visit: int = visit) -> bool:
                return self._visits != visit or self._contract_ended

            wake_at = self._allowed_actions_change_at()
            due = None if self._overdue else self._deadline_at
            if wake_at is not None and (due is None or wake_at < due):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        moved_on,
                        timeout=max(wake_at - workflow.now(), timedelta(0)),
                        timeout_summary=f"{self._status}: round cut-off",
                    )
                continue
            deadline = self._deadline_at
            if deadline is None or self._overdue:
                await workflow.wait_condition(moved_on)
                continue
            try:
                await workflow.wait_condition(
                    moved_on,
                    timeout=max(deadline - workflow.now(), timedelta(0)),
                    timeout_summary=f"{self._status} due",
                )
            except TimeoutError:
                async with self._acting:
                    if not moved_on():
                        await self._flag_overdue()

    async def _apply(self, request: ActionRequest, rule: ActionRule, body: BaseModel) -> None:
        status = self._status
        assert status is not None
        decision = rule.decide(
            body, rules.Situation(status=status, facts=self._facts, now=workflow.now())
        )
        effected = await self._take_effect(decision, body)
        self._facts = effected.facts
        if effected.status == DossierStatus.IN_POOL:
            self._matched_project = None
        await self._transition(
            effected.status,
            action=request.action,
            actor=request.actor,
            actor_name=request.actor_name,
            outcome=decision.outcome,
            note=decision.note,
            details=effected.details,
        )
        if decision.effect != Effect.ENROL_IN_NEXT_ROUND:  # it just tried: now round_opened
            await self._enrol_if_needed()
        if effected.contract_id is not None:
            await self._start_contract(effected.contract_id)

    async def _take_effect(self, decision: Decision, body: BaseModel) -> Effected:
        """Do the I/O the decision calls for (it may refuse the action, or change where it
        leads), and say what is recorded and what follows."""
        details = dict(decision.details)
        facts = decision.facts or self._facts
        if decision.effect == Effect.CHECK_PROJECT:
            assert isinstance(body, ProposeMatch)
            project = await self._matchable_project(body)
            details[Detail.PROJECT_TITLE] = project.title
            self._matched_project = project
        elif decision.effect == Effect.RESERVE_SEAT:
            seat = await self._reserve_seat()
            details[Detail.SEATS] = f"{seat.seats_taken}/{seat.seat_cap}"
            self._seat_held = True
            if self.KIND == DossierKind.CANDIDATE and workflow.patched(CONTRACT_ON_SELECTION):
                contract_id = workflow.uuid4()
                details[Detail.CONTRACT_ID] = str(contract_id)
                return Effected(decision.status, facts, details, contract_id=contract_id)
        elif decision.effect == Effect.ENROL_IN_NEXT_ROUND:
            current = self._facts.round
            self._enrol_not_before = current.cutoff_at if current is not None else None
            round = await self._enrol()
            if round is not None:
                details.update(rules.round_details(round))
            facts = dataclasses.replace(facts, round=round)
            return Effected(rules.deferred_status(round is not None), facts, details)
        return Effected(decision.status, facts, details)

    async def _enrol_if_needed(self) -> None:
        """The automatic step to a round: eligible → scheduled, or a candidate's round."""
        status = self._status
        if status is None or not rules.needs_round(
            self.KIND, status, self._facts.round is not None
        ):
            return
        round = await self._enrol()
        if round is None:
            return  # waits for round_opened
        self._facts = dataclasses.replace(self._facts, round=round)
        next_status = rules.status_once_enrolled(self.KIND, status)
        if next_status != status:
            await self._transition(next_status, details=rules.round_details(round))

    # Recording.

    async def _transition(
        self,
        to_status: DossierStatus,
        *,
        action: str = "",
        actor: str = SYSTEM,
        actor_name: str = "",
        outcome: str = "",
        note: str = "",
        details: dict[str, str] | None = None,
    ) -> None:
        """Record the new status, arm its deadline, make it searchable, and publish it."""
        previous_status = self._status
        entry = TimelineEntry(
            status=to_status,
            at=workflow.now(),
            note=note,
            action=action,
            outcome=outcome,
            actor=actor,
            actor_name=actor_name,
            details=details or {},
        )
        self._timeline.append(entry)
        self._visits += 1
        self._overdue = False
        self._deadline_at = rules.stage_deadline(
            self.KIND,
            to_status,
            entered_at=entry.at,
            round=self._facts.round,
            days=self._input.stage_deadline_days,
        )
        workflow.upsert_search_attributes(
            [
                DOSSIER_STATUS.value_set(to_status.value),
                DOSSIER_KIND.value_set(self._input.kind.value),
            ]
        )
        await self._publish_status_change(entry, previous_status)

    async def _publish_status_change(
        self, entry: TimelineEntry, previous_status: DossierStatus | None
    ) -> None:
        # The event id is drawn from the workflow's deterministic random source and fixed in
        # the activity's input, so every retry re-publishes the same id and consumers dedupe.
        event = DossierStatusChanged(
            event_id=workflow.uuid4(),
            occurred_at=entry.at,
            dossier_id=self._input.dossier_id,
            kind=self._input.kind,
            status=entry.status,
            previous_status=previous_status,
            title=self._input.title,
            contact=self._input.contact,
            note=entry.note,
            action=entry.action,
            outcome=entry.outcome,
            actor=entry.actor,
            actor_name=entry.actor_name,
            details=entry.details,
            promotion_number=self._input.promotion_number,
            administration_name=self._input.administration_name,
        )
        async with self._publishing:
            await workflow.execute_activity(
                PUBLISH_STATUS_CHANGE,
                PublishStatusChangeInput(event=event),
                start_to_close_timeout=PUBLISH_TIMEOUT,
                retry_policy=PUBLISH_RETRY_POLICY,
            )

    async def _flag_overdue(self) -> None:
        """Flag the stage overdue and remind staff, once per stage visit."""
        status, deadline = self._status, self._deadline_at
        assert status is not None and deadline is not None
        self._overdue = True
        event = DossierDeadlinePassed(
            event_id=workflow.uuid4(),
            occurred_at=workflow.now(),
            dossier_id=self._input.dossier_id,
            kind=self._input.kind,
            status=status,
            title=self._input.title,
            deadline_at=deadline,
        )
        workflow.logger.info("dossier %s: %s overdue", self._input.dossier_id, status)
        async with self._publishing:
            await workflow.execute_activity(
                PUBLISH_DEADLINE_PASSED,
                PublishDeadlinePassedInput(event=event),
                start_to_close_timeout=PUBLISH_TIMEOUT,
                retry_policy=PUBLISH_RETRY_POLICY,
            )

    # Checks and calls.

    def _allowed_actions_change_at(self) -> datetime | None:
        """When time alone changes the allowed actions (None: never, or an older history)."""
        change_at = rules.allowed_actions_change_at(
            self.KIND, self._status, self._facts, workflow.now()
        )
        if change_at is None or not workflow.patched(DECISIONS_AFTER_CUTOFF):
            return None
        return change_at

    def _admit_again(self, request: ActionRequest) -> tuple[ActionRule, BaseModel]:
        """The validator's checks once the action holds the lock.

        An action admitted by the validator may have waited for the lock while another one
        moved the dossier on. Time only moves on, so a refusal for being too early does not
        appear here, except when replaying a history recorded before decisions waited for
        the round's cut-off: its decision is admitted as then, as if the round had deliberated.
        """
        try:
            return self._admit(request)
        except ApplicationError:
            round = self._facts.round
            if round is None or workflow.patched(DECISIONS_AFTER_CUTOFF):
                raise
            return self._admit(request, now=max(workflow.now(), round.cutoff_at))

    def _admit(
        self, request: ActionRequest, now: datetime | None = None
    ) -> tuple[ActionRule, BaseModel]:
        """The action's rule and body at ``now`` (default: workflow time); ApplicationError
        (typed for callers) if refused."""
        try:
            return rules.admit(
                self.KIND,
                self._status,
                self._facts,
                request.action,
                request.payload,
                now if now is not None else workflow.now(),
            )
        except ActionRefusal as refusal:
            raise refusal_error(refusal) from None

    async def _matchable_project(self, body: ProposeMatch) -> DossierSnapshot:
        project_id = body.project_dossier_id
        try:
            project: DossierSnapshot = await workflow.execute_activity(
                DESCRIBE_DOSSIER,
                DescribeDossierInput(dossier_id=project_id),
                result_type=DossierSnapshot,
                start_to_close_timeout=DESCRIBE_TIMEOUT,
                retry_policy=DESCRIBE_RETRY_POLICY,
            )
        except ActivityError as error:
            if _application_error_type(error) == ErrorType.DOSSIER_NOT_FOUND:
                raise _refused(f"project {project_id} not found") from None
            raise ApplicationError(
                f"project {project_id} could not be read; try again",
                type=ErrorType.DOSSIER_UNAVAILABLE,
                non_retryable=True,
            ) from None
        reason = rules.match_refusal(self._input.role, project_id, project)
        if reason is not None:
            raise _refused(reason)
        return project

    async def _reserve_seat(self) -> SeatResult:
        try:
            seat: SeatResult = await workflow.execute_activity(
                RESERVE_SEAT,
                SeatInput(
                    promotion_number=self._input.promotion_number,
                    dossier_id=self._input.dossier_id,
                ),
                result_type=SeatResult,
                start_to_close_timeout=PROMOTION_TIMEOUT,
                retry_policy=PROMOTION_RETRY_POLICY,
            )
        except ActivityError:
            # Reserving is keyed by dossier id on the promotion's side: trying again is safe.
            raise ApplicationError(
                "the promotion could not be reached to reserve a seat; try again",
                type=ErrorType.PROMOTION_UNAVAILABLE,
                non_retryable=True,
            ) from None
        if not seat.granted:
            raise ApplicationError(
                seat.message,
                {"seats_taken": seat.seats_taken, "seat_cap": seat.seat_cap},
                type=ErrorType.SEATS_EXHAUSTED,
                non_retryable=True,
            )
        return seat

    async def _enrol(self) -> RoundRef | None:
        """Join the open round with the earliest cut-off; None if none is open (or reachable).

        An unreachable promotion is treated like no open round: the dossier waits for the
        promotion's ``round_opened`` signal rather than fail.
        """
        try:
            result: EnrolResult = await workflow.execute_activity(
                ENROL_IN_ROUND,
                EnrolInput(
                    promotion_number=self._input.promotion_number,
                    dossier_id=self._input.dossier_id,
                    kind=self.KIND,
                    not_before=self._enrol_not_before or workflow.now(),
                ),
                result_type=EnrolResult,
                start_to_close_timeout=PROMOTION_TIMEOUT,
                retry_policy=PROMOTION_RETRY_POLICY,
            )
        except ActivityError as error:
            workflow.logger.warning(
                "dossier %s: could not enrol in a round (%s); waiting for round_opened",
                self._input.dossier_id,
                _application_error_type(error) or type(error.cause).__name__,
            )
            return None
        return result.round

    async def _release_seat(self) -> None:
        await workflow.execute_activity(
            RELEASE_SEAT,
            SeatInput(
                promotion_number=self._input.promotion_number, dossier_id=self._input.dossier_id
            ),
            result_type=SeatResult,
            start_to_close_timeout=PROMOTION_TIMEOUT,
            retry_policy=RELEASE_RETRY_POLICY,
        )
        self._seat_held = False

    async def _start_contract(self, contract_id: UUID) -> None:
        """Draft the selected candidate's contract as a child workflow, then follow it.

        The child is cancelled if this dossier closes first (a withdrawal). Its outcome comes
        back here: a declined or lapsed offer gives the seat back and the candidate returns to
        the pool; an ended contract ends the dossier's life.
        """
        project = self._matched_project
        years = self._input.years_of_experience
        if years is None:
            # Only dossiers started before the form's experience reached the workflow.
            workflow.logger.warning("dossier %s: no years of experience", self._input.dossier_id)
        handle = await workflow.start_child_workflow(
            CONTRACT_WORKFLOW,
            ContractInput(
                contract_id=contract_id,
                dossier_id=self._input.dossier_id,
                promotion_number=self._input.promotion_number,
                contact=self._input.contact,
                role=self._input.role,
                years_of_experience=years or 0,
                project_dossier_id=project.dossier_id if project is not None else None,
                project_title=project.title if project is not None else "",
                host_administration=project.administration_name if project is not None else "",
                host_contact=project.contact if project is not None else None,
                selected_at=workflow.now(),
                offer_validity_days=self._input.offer_validity_days,
                offer_reminder_days=self._input.offer_reminder_days,
            ),
            id=contract_workflow_id(contract_id),
            result_type=ContractOutcome,
            parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
        )
        self._contract_id = contract_id
        # A workflow task of its own: the update that selected the candidate returns now.
        self._contract_follower = asyncio.create_task(self._follow_contract(handle))

    async def _follow_contract(self, handle: Any) -> None:
        try:
            outcome: ContractOutcome = await handle
        except ChildWorkflowError as error:
            # Cancelled by a withdrawal, or failed: the dossier stays where it is.
            workflow.logger.warning(
                "dossier %s: contract %s did not complete (%s)",
                self._input.dossier_id,
                self._contract_id,
                error.message,
            )
            return
        async with self._acting:
            if self._status != DossierStatus.SELECTED:
                return
            if outcome.status == ContractStatus.ENDED:
                self._contract_ended = True
                return
            reason = (
                Outcome.CONTRACT_DECLINED
                if outcome.status == ContractStatus.DECLINED
                else Outcome.OFFER_EXPIRED
            )
            if self._seat_held:
                await self._release_seat()
            self._matched_project = None
            self._contract_id = None
            await self._transition(
                DossierStatus.IN_POOL,
                outcome=reason,
                details={Detail.CONTRACT_ID: str(outcome.contract_id)},
            )

    async def _leave_rounds(self) -> None:
        """A final dossier is no longer part of any round (nor waiting for one)."""
        try:
            await workflow.execute_activity(
                LEAVE_ROUND,
                LeaveRoundInput(
                    promotion_number=self._input.promotion_number,
                    dossier_id=self._input.dossier_id,
                ),
                start_to_close_timeout=PROMOTION_TIMEOUT,
                retry_policy=LEAVE_ROUND_RETRY_POLICY,
            )
        except ActivityError as error:
            # Retries end only on a refusal (a wrong promotion number). The dossier is final
            # anyway: it completes, and its round keeps listing it, rather than fail.
            workflow.logger.warning(
                "dossier %s: could not leave its rounds (%s)",
                self._input.dossier_id,
                _application_error_type(error) or type(error.cause).__name__,
            )


def _application_error_type(error: ActivityError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type=ErrorType.ACTION_REFUSED, non_retryable=True)


@workflow.defn
class CandidateDossierWorkflow(DossierWorkflow):
    """A digital professional's application, from receipt to contract and renewal."""

    KIND = DossierKind.CANDIDATE

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await super().run(input)


@workflow.defn
class ProjectDossierWorkflow(DossierWorkflow):
    """An administration's project ("défi"), from receipt through investigation and selection."""

    KIND = DossierKind.PROJECT

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await super().run(input)


DOSSIER_WORKFLOWS: dict[DossierKind, type[DossierWorkflow]] = {
    workflow_class.KIND: workflow_class
    for workflow_class in (CandidateDossierWorkflow, ProjectDossierWorkflow)
}
"""The workflow that owns each kind of dossier."""
