"""The contract state machine as data: which action applies where, where it leads, and which
step happens on its own when.

Pure and I/O-free (no Temporal, no clock: callers pass ``now``): the workflow asks these rules,
then does the I/O they call for (``Decision.effect``) and records the result.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel

from libs.messages.contract_events import FINAL_CONTRACT_STATUSES, ContractStatus, ContractTerms
from workflows.action_rules import NoSuchAction, invalid_body, not_allowed, validate_body
from workflows.contract.models import (
    CONTRACT_ACTION_BODIES,
    AcceptOffer,
    ContractAction,
    Countersign,
    DecideRenewal,
    DeclineOffer,
    SendOffer,
    SetStartDate,
)
from workflows.contract.working_days import (
    is_working_day,
    paris_date,
    paris_midnight,
    renewal_due_on,
)

Status = ContractStatus
Action = ContractAction


@dataclass(frozen=True)
class ContractFacts:
    """What the rules need to know about a contract besides its status (all of the current
    version's term: the next version starts with none of them but ``term_started``)."""

    renewal_declined: bool = False
    """decide_renewal false was taken: nothing is left to decide until the term ends."""
    renewal_agreed: bool = False
    """decide_renewal true was taken: the next version follows the term, with no renewal
    window (``renewed`` says so too, until a term decided ahead of its start begins)."""
    term_started: bool = False
    """The current version's term has begun (activated, or the next term taken over): a
    renewal decided before that still waits for the activation."""

    @property
    def renewal_decided(self) -> bool:
        return self.renewal_agreed or self.renewal_declined


@dataclass(frozen=True)
class Situation:
    """The contract as an action finds it."""

    status: ContractStatus
    facts: ContractFacts
    now: datetime


class Effect(StrEnum):
    """What the workflow must do besides recording the decision."""

    CHANGE_START_DATE = "change_start_date"
    """The current version starts on ``Decision.start_on``; its end moves with it."""
    OPEN_OFFER = "open_offer"
    """The offer lapses ``offer_validity_days`` from now, with a reminder before."""
    RENEW = "renew"
    """A new version follows at the end of the term; ContractRenewalDecided(renew=True)."""
    NOT_RENEW = "not_renew"
    """The contract ends at the end of the term; ContractRenewalDecided(renew=False)."""


@dataclass(frozen=True)
class Decision:
    """Where an action leads (``status`` may be the current one: a change of terms)."""

    status: ContractStatus
    note: str = ""
    effect: Effect | None = None
    start_on: date | None = None


def _never_refused(_facts: ContractFacts) -> str | None:
    return None


def _no_errors(_body: Any, _situation: Situation) -> list[dict[str, str]]:
    return []


@dataclass(frozen=True)
class ActionRule:
    allowed_from: frozenset[ContractStatus]
    body: type[BaseModel]
    decide: Callable[[Any, Situation], Decision]
    refusal: Callable[[ContractFacts], str | None] = _never_refused
    """Why the action is refused for now, even in an allowed status (None: it is not)."""
    check: Callable[[Any, Situation], list[dict[str, str]]] = _no_errors
    """Faults of a well-formed body that depend on the situation (e.g. a date already past),
    as ``{"field", "message"}``; any refuses the action as an invalid body."""


def is_final(status: ContractStatus | None) -> bool:
    return status in FINAL_CONTRACT_STATUSES


# Actions.


START_DATE_HORIZON: Final = timedelta(days=366)
"""How far ahead a start date may be set: a contract starts within a year of being drafted."""


def _start_date_faults(body: SetStartDate, situation: Situation) -> list[dict[str, str]]:
    today = paris_date(situation.now)
    if body.start_on <= today:
        return [{"field": "start_on", "message": f"must be after today ({today.isoformat()})"}]
    latest = today + START_DATE_HORIZON
    if body.start_on > latest:
        return [
            {
                "field": "start_on",
                "message": f"must be within a year, on or before {latest.isoformat()}",
            }
        ]
    if not is_working_day(body.start_on):
        return [
            {
                "field": "start_on",
                "message": f"{body.start_on.isoformat()} is not a working day "
                "(weekend or French public holiday)",
            }
        ]
    return []


def _set_start_date(body: SetStartDate, situation: Situation) -> Decision:
    return Decision(situation.status, effect=Effect.CHANGE_START_DATE, start_on=body.start_on)


def _send_offer(body: SendOffer, _situation: Situation) -> Decision:
    return Decision(Status.OFFER_SENT, note=body.note, effect=Effect.OPEN_OFFER)


def _accept(_body: AcceptOffer, _situation: Situation) -> Decision:
    return Decision(Status.ACCEPTED)


def _decline(body: DeclineOffer, _situation: Situation) -> Decision:
    return Decision(Status.DECLINED, note=body.note)


def _countersign(body: Countersign, _situation: Situation) -> Decision:
    return Decision(Status.SIGNED, note=body.note)


def _decide_renewal(body: DecideRenewal, situation: Situation) -> Decision:
    if body.renew:
        return Decision(Status.RENEWED, note=body.note, effect=Effect.RENEW)
    # Not renewed: the status stays (signed, active or renewal_due) and the calendar goes on;
    # the contract ends with its term.
    return Decision(situation.status, note=body.note, effect=Effect.NOT_RENEW)


def _renewal_already_decided(facts: ContractFacts) -> str | None:
    if facts.renewal_agreed:
        return "the renewal was already decided: a new term follows this one"
    if facts.renewal_declined:
        return "the renewal was already decided: the contract ends with its term"
    return None


TRANSITIONS: Mapping[str, ActionRule] = {
    Action.SET_START_DATE: ActionRule(
        frozenset({Status.DRAFTED, Status.ACCEPTED}),
        SetStartDate,
        _set_start_date,
        check=_start_date_faults,
    ),
    Action.SEND_OFFER: ActionRule(frozenset({Status.DRAFTED}), SendOffer, _send_offer),
    Action.ACCEPT: ActionRule(frozenset({Status.OFFER_SENT}), AcceptOffer, _accept),
    Action.DECLINE: ActionRule(frozenset({Status.OFFER_SENT}), DeclineOffer, _decline),
    Action.COUNTERSIGN: ActionRule(frozenset({Status.ACCEPTED}), Countersign, _countersign),
    # From the signature on: the programme often knows early; the renewal window only makes
    # sure it is decided in time. Once per term, either way.
    Action.DECIDE_RENEWAL: ActionRule(
        frozenset({Status.SIGNED, Status.ACTIVE, Status.RENEWAL_DUE}),
        DecideRenewal,
        _decide_renewal,
        refusal=_renewal_already_decided,
    ),
}
"""Action name → the rule that applies it."""


def allowed_actions(status: ContractStatus | None, facts: ContractFacts) -> list[str]:
    """The actions that would be accepted now (bodies aside), in the table's order."""
    if status is None:
        return []
    return [
        name
        for name, rule in TRANSITIONS.items()
        if status in rule.allowed_from and rule.refusal(facts) is None
    ]


def admit(
    status: ContractStatus | None,
    facts: ContractFacts,
    action: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> tuple[ActionRule, BaseModel]:
    """The rule and the validated body of an action, or why it is refused.

    Raises NoSuchAction, ActionDoesNotApply (names the status and the allowed actions) or
    InvalidBody (names the fields at fault).
    """
    if action not in CONTRACT_ACTION_BODIES:
        raise NoSuchAction(
            f"unknown action {action!r}; actions: {', '.join(CONTRACT_ACTION_BODIES)}"
        )
    rule = TRANSITIONS[action]
    allowed = allowed_actions(status, facts)
    if status is None or status not in rule.allowed_from:
        raise not_allowed(action, status, allowed)
    reason = rule.refusal(facts)
    if reason is not None:
        raise not_allowed(action, status, allowed, reason)
    body = validate_body(action, rule.body, payload)
    errors = rule.check(body, Situation(status=status, facts=facts, now=now))
    if errors:
        raise invalid_body(action, errors)
    return rule, body


# Steps that happen on their own, on durable timers.


class Step(StrEnum):
    REMIND_OFFER = "remind_offer"
    """offer_sent: the candidate is reminded before the offer lapses (status unchanged)."""
    EXPIRE_OFFER = "expire_offer"
    """offer_sent → offer_expired."""
    ACTIVATE = "activate"
    """signed (or renewed before its term began) → active, at 00:00 in Paris on the start
    date."""
    OPEN_RENEWAL = "open_renewal"
    """active → renewal_due, the notice period before the end of the term, unless the renewal
    was agreed (a renewal declined still opens it: staff see the end coming)."""
    START_NEXT_TERM = "start_next_term"
    """renewed (or active with the renewal agreed) → active: the next version becomes current
    the day after the term ends."""
    END = "end"
    """renewal_due (not renewed) → ended, the day after the term ends."""


STEP_STATUS: Mapping[Step, ContractStatus] = {
    Step.EXPIRE_OFFER: Status.OFFER_EXPIRED,
    Step.ACTIVATE: Status.ACTIVE,
    Step.OPEN_RENEWAL: Status.RENEWAL_DUE,
    Step.START_NEXT_TERM: Status.ACTIVE,
    Step.END: Status.ENDED,
}
"""Where each automatic step leads (REMIND_OFFER changes no status)."""


@dataclass(frozen=True)
class Schedule:
    """What the automatic steps are timed from."""

    terms: ContractTerms | None
    offer_expires_at: datetime | None = None
    offer_reminder_at: datetime | None = None
    """None when no reminder is (or is any longer) due."""
    renewal_notice_months: int = 2
    facts: ContractFacts = ContractFacts()
    """Whether the term began and the renewal was agreed: the calendar's step depends on them,
    never on comparing clocks."""


def offer_deadlines(
    sent_at: datetime, validity_days: int, reminder_days: int
) -> tuple[datetime, datetime | None]:
    """When an offer sent at ``sent_at`` lapses, and when its reminder goes (None: no
    reminder, when it would not come strictly between sending and lapsing)."""
    expires_at = sent_at + timedelta(days=validity_days)
    if 0 < reminder_days < validity_days:
        return expires_at, expires_at - timedelta(days=reminder_days)
    return expires_at, None


def next_step(status: ContractStatus | None, schedule: Schedule) -> tuple[datetime, Step] | None:
    """The next automatic step in this status, and when it is due (None: only actions move it)."""
    terms = schedule.terms
    if status == Status.OFFER_SENT and schedule.offer_expires_at is not None:
        if schedule.offer_reminder_at is not None:
            return schedule.offer_reminder_at, Step.REMIND_OFFER
        return schedule.offer_expires_at, Step.EXPIRE_OFFER
    if terms is None:
        return None
    facts = schedule.facts
    day_after_term = paris_midnight(terms.end_on + timedelta(days=1))
    # Renewed ahead of its start: the term must still begin before the next one follows.
    if status == Status.SIGNED or (status == Status.RENEWED and not facts.term_started):
        return paris_midnight(terms.start_on), Step.ACTIVATE
    if status == Status.ACTIVE and not facts.renewal_agreed:
        opens_on = renewal_due_on(terms.end_on, schedule.renewal_notice_months)
        return paris_midnight(opens_on), Step.OPEN_RENEWAL
    if status in (Status.ACTIVE, Status.RENEWED):
        return day_after_term, Step.START_NEXT_TERM
    if status == Status.RENEWAL_DUE:
        return day_after_term, Step.END
    return None
