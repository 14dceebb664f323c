"""The contract workflow: one per EIG contract, a child of the candidate's dossier workflow.

Deterministic code only: no I/O, no clock, no randomness except through ``workflow.*``. The pay
policy, the contract number and Kafka are reached through activities called by name. What may
happen when is decided by the pure ``rules`` (timed steps included); the prices
and dates by ``pay`` and ``working_days``; this module applies them, one at a time, and records
them.
"""

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Contact's EmailStr imports email_validator lazily, mid-workflow: pass it through up front
    # rather than let the sandbox reload it on every run.
    import email_validator  # noqa: F401
    from pydantic import BaseModel

    from libs.messages.contract_events import (
        ContractOfferReminderDue,
        ContractRenewalDecided,
        ContractStatus,
        ContractStatusChanged,
        ContractTerms,
    )
    from workflows.action_rules import ActionRefusal, refusal_error
    from workflows.contract import pay, rules
    from workflows.contract.models import (
        APPLY_CONTRACT_ACTION,
        CONTRACT_SNAPSHOT,
        CONTRACT_WORKFLOW,
        LOAD_PAY_POLICY,
        PUBLISH_CONTRACT_EVENT,
        ContractActionRequest,
        ContractActionResult,
        ContractInput,
        ContractOutcome,
        ContractSnapshot,
        ContractTimelineEntry,
        LoadPayPolicyInput,
        PayPolicy,
        PublishContractEventInput,
    )
    from workflows.contract.rules import ActionRule, ContractFacts, Effect, Step
    from workflows.contract.working_days import first_working_day_of_next_month
    from workflows.promotion.models import (
        ALLOCATE_CONTRACT_NUMBER,
        ContractNumberInput,
        ContractNumberResult,
    )
    from workflows.retry_policies import RETRY_FOREVER
    from workflows.update_handlers import refused_on_error

SYSTEM: Final = "system"
"""Actor of the timed steps."""

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Publishing is idempotent for consumers (same event id on every attempt); loading the policy
# and numbering are idempotent too (numbering is keyed by contract id). Retrying forever rides
# out a broker restart, an unreachable promotion, or a policy file being fixed.
FOREVER = RETRY_FOREVER


@workflow.defn(name=CONTRACT_WORKFLOW)
class ContractWorkflow:
    """An EIG's project contract, from the draft to its end, through any number of renewals.

    It prices and dates the first version, records ``drafted``, then moves through the
    ``apply_contract_action`` update (checked by ``rules``) and timed steps (offer
    reminder and expiry, activation, renewal window, next term, end) until a final status,
    which it returns to its parent. Every change is recorded in the timeline and published.
    The renewal may be decided from the signature on; the timed steps still follow the
    calendar, told by ``ContractFacts`` whether the term began and the renewal was agreed.
    """

    @workflow.init
    def __init__(self, input: ContractInput) -> None:
        self._input = input
        self._policy: PayPolicy | None = None
        self._terms: ContractTerms | None = None
        self._next_terms: ContractTerms | None = None
        self._first_start_on: date | None = None
        self._facts = ContractFacts()
        self._offer_expires_at: datetime | None = None
        self._offer_reminder_at: datetime | None = None
        self._timeline: list[ContractTimelineEntry] = []
        # Bumped by every change a timed step depends on: a pending timer is then re-armed.
        self._changes = 0
        # One action (or timed step) at a time: each sees the state the previous one left.
        self._acting = asyncio.Lock()
        # Events leave in the order they were recorded, even if handlers overlap.
        self._publishing = asyncio.Lock()

    @property
    def _status(self) -> ContractStatus | None:
        return self._timeline[-1].status if self._timeline else None

    @property
    def _allowed_actions(self) -> list[str]:
        return rules.allowed_actions(self._status, self._facts)

    # Messages.

    @workflow.query(name=CONTRACT_SNAPSHOT)
    def contract_snapshot(self) -> ContractSnapshot:
        return ContractSnapshot(
            contract_id=self._input.contract_id,
            dossier_id=self._input.dossier_id,
            status=self._status,
            allowed_actions=self._allowed_actions,
            terms=self._terms,
            next_terms=self._next_terms,
            offer_expires_at=self._offer_expires_at,
            timeline=list(self._timeline),
        )

    @workflow.update(name=APPLY_CONTRACT_ACTION)
    @refused_on_error
    async def apply_contract_action(self, request: ContractActionRequest) -> ContractActionResult:
        """Apply one staff, admin or applicant action."""
        async with self._acting:
            # Checked again: an action admitted by the validator may have waited for the lock
            # while another one (or a timed step) moved the contract on.
            rule, body = self._admit(request)
            await self._apply(request, rule, body)
            status = self._status
            assert status is not None  # admitted actions need a status
            return ContractActionResult(status=status, allowed_actions=self._allowed_actions)

    @apply_contract_action.validator
    def _validate_action(self, request: ContractActionRequest) -> None:
        """Refuse before anything is written to history: unknown, not allowed now, bad body."""
        self._admit(request)

    # Life of a contract.

    @workflow.run
    async def run(self, input: ContractInput) -> ContractOutcome:
        async with self._acting:
            self._policy = await workflow.execute_activity(
                LOAD_PAY_POLICY,
                LoadPayPolicyInput(promotion_number=input.promotion_number),
                result_type=PayPolicy,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=FOREVER,
            )
            number = await workflow.execute_activity(
                ALLOCATE_CONTRACT_NUMBER,
                ContractNumberInput(
                    promotion_number=input.promotion_number, contract_id=input.contract_id
                ),
                result_type=ContractNumberResult,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=FOREVER,
            )
            self._terms = pay.terms(
                self._policy,
                input,
                contract_number=number.contract_number,
                start_on=first_working_day_of_next_month(input.selected_at),
            )
            await self._record(ContractStatus.DRAFTED)
        while not rules.is_final(self._status):
            await self._next_step()
        await workflow.wait_condition(workflow.all_handlers_finished)
        status = self._status
        assert status is not None
        return ContractOutcome(contract_id=input.contract_id, status=status)

    async def _next_step(self) -> None:
        """Wait for the next timed step and take it, unless an action changes things first."""
        changes = self._changes

        def changed() -> bool:
            return self._changes != changes

        due = rules.next_step(self._status, self._schedule())
        if due is None:
            await workflow.wait_condition(changed)
            return
        at, step = due
        delay = at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(
                    changed, timeout=delay, timeout_summary=f"{step} at {at.isoformat()}"
                )
                return
            except TimeoutError:
                pass
        async with self._acting:
            if not changed():
                await self._take(step)

    async def _take(self, step: Step) -> None:
        terms = self._terms
        assert terms is not None
        if step == Step.REMIND_OFFER:
            expires_at = self._offer_expires_at
            assert expires_at is not None
            self._offer_reminder_at = None
            self._changes += 1
            await self._publish(
                ContractOfferReminderDue(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    dossier_id=self._input.dossier_id,
                    contract_id=self._input.contract_id,
                    terms=terms,
                    contact=self._input.contact,
                    offer_expires_at=expires_at,
                )
            )
            return
        if step == Step.ACTIVATE:
            if self._first_start_on is None:
                self._first_start_on = terms.start_on
            # Keeps a renewal decided before the start: it still holds for this term.
            self._facts = replace(self._facts, term_started=True)
        elif step == Step.START_NEXT_TERM:
            assert self._next_terms is not None
            self._terms, self._next_terms = self._next_terms, None
            # A new term, begun today, with its renewal still to decide.
            self._facts = ContractFacts(term_started=True)
        await self._record(rules.STEP_STATUS[step])

    async def _apply(
        self, request: ContractActionRequest, rule: ActionRule, body: BaseModel
    ) -> None:
        status = self._status
        terms = self._terms
        assert status is not None and terms is not None
        now = workflow.now()
        decision = rule.decide(body, rules.Situation(status=status, facts=self._facts, now=now))
        if decision.effect == Effect.CHANGE_START_DATE:
            assert decision.start_on is not None
            self._terms = pay.with_start_date(terms, decision.start_on)
        elif decision.effect == Effect.OPEN_OFFER:
            self._offer_expires_at, self._offer_reminder_at = rules.offer_deadlines(
                now, self._input.offer_validity_days, self._input.offer_reminder_days
            )
        elif decision.effect in (Effect.RENEW, Effect.NOT_RENEW):
            renew = decision.effect == Effect.RENEW
            if renew:
                assert self._policy is not None
                # Before activation (decided when signed) the first term starts on its terms.
                self._next_terms = pay.renewal_terms(
                    self._policy, self._input, terms, self._first_start_on or terms.start_on
                )
            self._facts = replace(self._facts, renewal_agreed=renew, renewal_declined=not renew)
            await self._publish(
                ContractRenewalDecided(
                    event_id=workflow.uuid4(),
                    occurred_at=now,
                    dossier_id=self._input.dossier_id,
                    contract_id=self._input.contract_id,
                    renew=renew,
                    terms=terms,
                    next_terms=self._next_terms,
                    contact=self._input.contact,
                    actor=request.actor,
                    actor_name=request.actor_name,
                    note=decision.note,
                )
            )
        await self._record(
            decision.status,
            action=request.action,
            actor=request.actor,
            actor_name=request.actor_name,
            note=decision.note,
            # Not renewing changes neither status nor terms: ContractRenewalDecided says it all.
            publish=decision.effect != Effect.NOT_RENEW,
        )

    # Recording.

    async def _record(
        self,
        to_status: ContractStatus,
        *,
        action: str = "",
        actor: str = SYSTEM,
        actor_name: str = "",
        note: str = "",
        publish: bool = True,
    ) -> None:
        """Add a timeline entry and publish it as ContractStatusChanged.

        ``to_status`` may be the current status (a new start date, a renewal not granted): an
        event whose ``previous_status`` equals its ``status`` tells of changed terms, not of a
        new step.
        """
        terms = self._terms
        assert terms is not None
        previous_status = self._status
        now = workflow.now()
        self._timeline.append(
            ContractTimelineEntry(
                status=to_status,
                at=now,
                action=action,
                actor=actor,
                actor_name=actor_name,
                note=note,
                version=terms.version,
            )
        )
        self._changes += 1
        if not publish:
            return
        # The event id is drawn from the workflow's deterministic random source and fixed in
        # the activity's input, so every retry re-publishes the same id and consumers dedupe.
        await self._publish(
            ContractStatusChanged(
                event_id=workflow.uuid4(),
                occurred_at=now,
                dossier_id=self._input.dossier_id,
                contract_id=self._input.contract_id,
                status=to_status,
                previous_status=previous_status,
                terms=terms,
                contact=self._input.contact,
                host_contact=self._input.host_contact,
                action=action,
                actor=actor,
                actor_name=actor_name,
                note=note,
                offer_expires_at=(
                    self._offer_expires_at if to_status == ContractStatus.OFFER_SENT else None
                ),
                renewal_declined=(
                    to_status == ContractStatus.RENEWAL_DUE and self._facts.renewal_declined
                ),
            )
        )

    async def _publish(
        self, event: ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided
    ) -> None:
        async with self._publishing:
            await workflow.execute_activity(
                PUBLISH_CONTRACT_EVENT,
                PublishContractEventInput(event=event),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=FOREVER,
            )

    # Checks.

    def _schedule(self) -> rules.Schedule:
        return rules.Schedule(
            terms=self._terms,
            offer_expires_at=self._offer_expires_at,
            offer_reminder_at=self._offer_reminder_at,
            renewal_notice_months=self._input.renewal_notice_months,
            facts=self._facts,
        )

    def _admit(self, request: ContractActionRequest) -> tuple[ActionRule, BaseModel]:
        """The action's rule and body; ApplicationError (typed for callers) if refused."""
        try:
            return rules.admit(
                self._status, self._facts, request.action, request.payload, workflow.now()
            )
        except ActionRefusal as refusal:
            raise refusal_error(refusal) from None


CONTRACT_WORKFLOWS: Final[list[type]] = [ContractWorkflow]
"""The workflow classes a worker registers for contracts."""
