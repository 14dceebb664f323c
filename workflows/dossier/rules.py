"""The dossier state machines as data: which action applies where, and where it leads.

Pure and I/O-free (no Temporal, no clock): the workflow asks these rules, then does the I/O
they call for (``Decision.effect``) and records the result. Tested on their own.
"""

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DEFERRED_FROM, FINAL_STATUSES, Detail, DossierStatus
from workflows.action_rules import (
    ActionDoesNotApply,
    NoSuchAction,
    not_allowed,
    validate_body,
)
from workflows.dossier.models import (
    ACTION_BODIES,
    Action,
    DossierSnapshot,
    EvaluationOutcome,
    InterviewOutcome,
    InvestigationOutcome,
    JointInterviewOutcome,
    JuryDecision,
    ProposeMatch,
    RecordDecision,
    RecordDefence,
    RecordEvaluation,
    RecordInterview,
    RecordInvestigation,
    RecordJointInterview,
    RecordReview,
    RequestInvestigation,
    ReviewOutcome,
    SignPartnership,
    Withdraw,
)
from workflows.promotion import rules as promotion_rules
from workflows.promotion.models import RoundRef

Status = DossierStatus


@dataclass(frozen=True)
class DossierFacts:
    """What the rules need to know about a dossier besides its status."""

    requires_investigation: bool = False
    investigation_done: bool = False
    round: RoundRef | None = None


@dataclass(frozen=True)
class Situation:
    """The dossier as an action finds it."""

    status: DossierStatus
    facts: DossierFacts
    now: datetime


class Effect(StrEnum):
    """I/O the workflow must do before recording a decision (it may refuse or change it)."""

    CHECK_PROJECT = "check_project"
    """propose_match: the project must be partnership_signed and want the candidate's role."""
    RESERVE_SEAT = "reserve_seat"
    """A candidate's selection takes a seat of the promotion, or is refused."""
    ENROL_IN_NEXT_ROUND = "enrol_in_next_round"
    """A deferred project joins the round after the current one (``deferred_status``)."""


@dataclass(frozen=True)
class Decision:
    """Where an action leads and what the applicant is told about it."""

    status: DossierStatus
    outcome: str = ""
    note: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    facts: DossierFacts | None = None
    """The facts after the action; None when it changes none."""
    effect: Effect | None = None


def _never_refused(_situation: Situation) -> str | None:
    return None


def _no_time(_facts: DossierFacts) -> datetime | None:
    return None


@dataclass(frozen=True)
class ActionRule:
    allowed_from: frozenset[DossierStatus]
    body: type[BaseModel]
    decide: Callable[[Any, Situation], Decision]
    refusal: Callable[[Situation], str | None] = _never_refused
    """Why the action is refused in this situation, even in an allowed status (None: it is not)."""
    opens_at: Callable[[DossierFacts], datetime | None] = _no_time
    """When ``refusal`` stops refusing the action by the passing of time alone (a round's
    cut-off); None if it never does. The workflow wakes up then, so its allowed actions are
    current without anyone acting."""


STATUSES: Mapping[DossierKind, tuple[DossierStatus, ...]] = {
    DossierKind.PROJECT: (
        Status.RECEIVED,
        Status.IN_EVALUATION,
        Status.INVESTIGATION_REQUESTED,
        Status.ELIGIBLE,
        Status.INELIGIBLE,
        Status.SCHEDULED,
        Status.DEFENDED,
        Status.SELECTED,
        Status.NOT_SELECTED,
        Status.PARTNERSHIP_SIGNED,
        Status.WITHDRAWN,
    ),
    DossierKind.CANDIDATE: (
        Status.RECEIVED,
        Status.IN_REVIEW,
        Status.INTERVIEW,
        Status.REJECTED,
        Status.IN_POOL,
        Status.MATCHED,
        Status.SELECTED,
        Status.WITHDRAWN,
    ),
}
"""Every status each kind of dossier goes through."""

PROGRESS: Mapping[DossierKind, tuple[DossierStatus, ...]] = {
    kind: tuple(status for status in statuses if status not in FINAL_STATUSES)
    for kind, statuses in STATUSES.items()
}
"""The way forward of each kind, in order: the statuses a dossier passes through when it goes
all the way (the applicant's stepper). Final statuses leave it."""

OPTIONAL_STAGES = frozenset({Status.INVESTIGATION_REQUESTED})
"""Stages of :data:`PROGRESS` that only some dossiers go through."""

FIRST_STAGE: Mapping[DossierKind, DossierStatus] = {
    DossierKind.PROJECT: Status.IN_EVALUATION,
    DossierKind.CANDIDATE: Status.IN_REVIEW,
}
"""Where a dossier goes on its own right after ``received``."""

STAFF_STAGES: Mapping[DossierKind, frozenset[DossierStatus]] = {
    DossierKind.PROJECT: frozenset(
        {
            Status.IN_EVALUATION,
            Status.INVESTIGATION_REQUESTED,
            Status.SCHEDULED,
            Status.DEFENDED,
            Status.SELECTED,
        }
    ),
    DossierKind.CANDIDATE: frozenset({Status.IN_REVIEW, Status.INTERVIEW, Status.MATCHED}),
}
"""Stages that wait for staff, hence have a deadline. The others wait for a round
(eligible), for a match (in_pool, partnership_signed), or for later stages (a selected EIG's
contract)."""

ROUND_STAGES = frozenset({Status.SCHEDULED, Status.DEFENDED})
"""Stages whose deadline counts from the round's deliberation, not from their start."""


def is_final(status: DossierStatus | None) -> bool:
    return status in FINAL_STATUSES


def round_details(round: RoundRef) -> dict[str, str]:
    return {
        Detail.ROUND_ID: round.round_id,
        Detail.CUTOFF_AT: round.cutoff_at.isoformat(),
        Detail.DELIBERATION_DATE: round.deliberation_at.date().isoformat(),
    }


# Project dossiers.


def _investigation_missing(situation: Situation) -> str | None:
    facts = situation.facts
    if facts.requires_investigation and not facts.investigation_done:
        return "the project requires an investigation before an outcome"
    return None


def _decisions_open_at(facts: DossierFacts) -> datetime | None:
    return promotion_rules.decisions_open_at(facts.round) if facts.round is not None else None


def _round_still_open(situation: Situation) -> str | None:
    """The promotion's cut-off rule, on the round as it stands at ``now``."""
    round = situation.facts.round
    if round is None:
        return None
    return promotion_rules.decisions_refusal(promotion_rules.round_as_of(round, situation.now))


def _request_investigation(body: RequestInvestigation, _situation: Situation) -> Decision:
    return Decision(Status.INVESTIGATION_REQUESTED, note=body.note)


def _record_investigation(body: RecordInvestigation, situation: Situation) -> Decision:
    facts = dataclasses.replace(situation.facts, investigation_done=True)
    to_status = (
        Status.IN_EVALUATION
        if body.outcome == InvestigationOutcome.QUALIFIED
        else Status.INELIGIBLE
    )
    return Decision(to_status, outcome=body.outcome, note=body.note, facts=facts)


def _record_evaluation(body: RecordEvaluation, _situation: Situation) -> Decision:
    to_status = Status.ELIGIBLE if body.outcome == EvaluationOutcome.ELIGIBLE else Status.INELIGIBLE
    return Decision(to_status, outcome=body.outcome, note=body.note)


def _with_round(situation: Situation, details: dict[str, str]) -> dict[str, str]:
    round = situation.facts.round
    return {**round_details(round), **details} if round is not None else details


def _record_defence(body: RecordDefence, situation: Situation) -> Decision:
    details = _with_round(situation, {Detail.DEFENCE_DATE: situation.now.date().isoformat()})
    return Decision(Status.DEFENDED, note=body.note, details=details)


def _record_decision(body: RecordDecision, situation: Situation) -> Decision:
    details = _with_round(situation, {})
    if body.decision == JuryDecision.DEFERRED:
        # Where it goes depends on the round it can join: see deferred_status.
        return Decision(
            Status.SCHEDULED,
            outcome=body.decision,
            note=body.note,
            details={DEFERRED_FROM[Detail(name)]: value for name, value in details.items()},
            effect=Effect.ENROL_IN_NEXT_ROUND,
        )
    to_status = Status.SELECTED if body.decision == JuryDecision.SELECTED else Status.NOT_SELECTED
    return Decision(to_status, outcome=body.decision, note=body.note, details=details)


def _sign_partnership(body: SignPartnership, _situation: Situation) -> Decision:
    return Decision(
        Status.PARTNERSHIP_SIGNED, details={Detail.SIGNED_ON: body.signed_on.isoformat()}
    )


# Candidate dossiers.


def _record_review(body: RecordReview, _situation: Situation) -> Decision:
    to_status = Status.INTERVIEW if body.outcome == ReviewOutcome.SHORTLISTED else Status.REJECTED
    return Decision(to_status, outcome=body.outcome, note=body.note)


def _record_interview(body: RecordInterview, _situation: Situation) -> Decision:
    to_status = Status.IN_POOL if body.outcome == InterviewOutcome.POOL else Status.REJECTED
    return Decision(to_status, outcome=body.outcome, note=body.note)


def _propose_match(body: ProposeMatch, _situation: Situation) -> Decision:
    return Decision(
        Status.MATCHED,
        details={Detail.PROJECT_DOSSIER_ID: str(body.project_dossier_id)},
        effect=Effect.CHECK_PROJECT,
    )


def _record_joint_interview(body: RecordJointInterview, _situation: Situation) -> Decision:
    if body.outcome == JointInterviewOutcome.SELECTED:
        return Decision(
            Status.SELECTED, outcome=body.outcome, note=body.note, effect=Effect.RESERVE_SEAT
        )
    return Decision(Status.IN_POOL, outcome=body.outcome, note=body.note)


# Both.


def _withdraw(_body: Withdraw, _situation: Situation) -> Decision:
    return Decision(Status.WITHDRAWN)


def _active(kind: DossierKind) -> frozenset[DossierStatus]:
    return frozenset(status for status in STATUSES[kind] if not is_final(status))


TRANSITIONS: Mapping[DossierKind, Mapping[str, ActionRule]] = {
    DossierKind.PROJECT: {
        Action.REQUEST_INVESTIGATION: ActionRule(
            frozenset({Status.IN_EVALUATION}), RequestInvestigation, _request_investigation
        ),
        Action.RECORD_INVESTIGATION: ActionRule(
            frozenset({Status.INVESTIGATION_REQUESTED}), RecordInvestigation, _record_investigation
        ),
        Action.RECORD_EVALUATION: ActionRule(
            frozenset({Status.IN_EVALUATION}),
            RecordEvaluation,
            _record_evaluation,
            refusal=_investigation_missing,
        ),
        Action.RECORD_DEFENCE: ActionRule(
            frozenset({Status.SCHEDULED}), RecordDefence, _record_defence
        ),
        Action.RECORD_DECISION: ActionRule(
            frozenset({Status.DEFENDED}),
            RecordDecision,
            _record_decision,
            refusal=_round_still_open,
            opens_at=_decisions_open_at,
        ),
        Action.SIGN_PARTNERSHIP: ActionRule(
            frozenset({Status.SELECTED}), SignPartnership, _sign_partnership
        ),
        Action.WITHDRAW: ActionRule(_active(DossierKind.PROJECT), Withdraw, _withdraw),
    },
    DossierKind.CANDIDATE: {
        Action.RECORD_REVIEW: ActionRule(
            frozenset({Status.IN_REVIEW}), RecordReview, _record_review
        ),
        Action.RECORD_INTERVIEW: ActionRule(
            frozenset({Status.INTERVIEW}), RecordInterview, _record_interview
        ),
        Action.PROPOSE_MATCH: ActionRule(frozenset({Status.IN_POOL}), ProposeMatch, _propose_match),
        Action.RECORD_JOINT_INTERVIEW: ActionRule(
            frozenset({Status.MATCHED}), RecordJointInterview, _record_joint_interview
        ),
        Action.WITHDRAW: ActionRule(_active(DossierKind.CANDIDATE), Withdraw, _withdraw),
    },
}
"""Per kind of dossier: action name → the rule that applies it."""


def allowed_actions(
    kind: DossierKind, status: DossierStatus | None, facts: DossierFacts, now: datetime
) -> list[str]:
    """The actions that would be accepted at ``now`` (workflow time), in the table's order."""
    if status is None:
        return []
    situation = Situation(status=status, facts=facts, now=now)
    return [
        name
        for name, rule in TRANSITIONS[kind].items()
        if status in rule.allowed_from and rule.refusal(situation) is None
    ]


def allowed_actions_change_at(
    kind: DossierKind, status: DossierStatus | None, facts: DossierFacts, now: datetime
) -> datetime | None:
    """The next time an action of this status stops being refused by time alone, if any."""
    times = [
        opens_at
        for rule in TRANSITIONS[kind].values()
        if status in rule.allowed_from
        and (opens_at := rule.opens_at(facts)) is not None
        and opens_at > now
    ]
    return min(times, default=None)


def admit(
    kind: DossierKind,
    status: DossierStatus | None,
    facts: DossierFacts,
    action: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> tuple[ActionRule, BaseModel]:
    """The rule and the validated body of an action at ``now`` (workflow time), or why not.

    Raises NoSuchAction, ActionDoesNotApply (names the status and the allowed actions) or
    InvalidBody (names the fields at fault).
    """
    if action not in ACTION_BODIES:
        raise NoSuchAction(f"unknown action {action!r}; actions: {', '.join(ACTION_BODIES)}")
    allowed = allowed_actions(kind, status, facts, now)
    allowed_text = ", ".join(allowed) or "none"
    rule = TRANSITIONS[kind].get(action)
    if rule is None:
        raise ActionDoesNotApply(
            f"{action} does not apply to {kind.value} dossiers; "
            f"allowed in status {status}: {allowed_text}",
            status,
            allowed,
        )
    if status is None or status not in rule.allowed_from:
        raise not_allowed(action, status, allowed)
    reason = rule.refusal(Situation(status=status, facts=facts, now=now))
    if reason is not None:
        raise not_allowed(action, status, allowed, reason)
    return rule, validate_body(action, rule.body, payload)


# Automatic steps.


ROUND_SEEKING_STATUSES: dict[DossierKind, frozenset[DossierStatus]] = {
    DossierKind.PROJECT: frozenset({Status.ELIGIBLE}),
    DossierKind.CANDIDATE: frozenset(
        {Status.IN_REVIEW, Status.INTERVIEW, Status.IN_POOL, Status.MATCHED}
    ),
}
"""Where a dossier of each kind without a round (tries to) join one: the statuses the
promotion's ``tell_round_opened`` activity looks for when a round is added."""


def needs_round(kind: DossierKind, status: DossierStatus | None, has_round: bool) -> bool:
    """Whether the dossier should (try to) join a round now.

    A project joins one once eligible (and after a deferral); a candidate joins one as soon as
    it is reviewed, and keeps trying at each ``round_opened`` until it has one.
    """
    if status not in ROUND_SEEKING_STATUSES[kind]:
        return False
    return kind == DossierKind.PROJECT or not has_round


def status_once_enrolled(kind: DossierKind, status: DossierStatus) -> DossierStatus:
    """An eligible project is scheduled once it joined a round; a candidate stays where it is."""
    if kind == DossierKind.PROJECT and status == Status.ELIGIBLE:
        return Status.SCHEDULED
    return status


def deferred_status(joined_a_round: bool) -> DossierStatus:
    """A deferred project is scheduled in the next round, or waits in eligible for one."""
    return Status.SCHEDULED if joined_a_round else Status.ELIGIBLE


def stage_deadline(
    kind: DossierKind,
    status: DossierStatus,
    *,
    entered_at: datetime,
    round: RoundRef | None,
    days: int,
) -> datetime | None:
    """When the stage is overdue; None for a stage that waits for no one on the staff."""
    if status not in STAFF_STAGES[kind]:
        return None
    start = entered_at
    if status in ROUND_STAGES and round is not None:
        # Defence and decision happen around the deliberation, possibly months ahead.
        start = max(entered_at, round.deliberation_at)
    return start + timedelta(days=days)


def match_refusal(
    candidate_role: Role | None, project_id: UUID, project: DossierSnapshot
) -> str | None:
    """Why a candidate cannot be matched with this project (None: it can)."""
    if project.kind != DossierKind.PROJECT:
        return f"dossier {project_id} is not a project dossier"
    if project.status != Status.PARTNERSHIP_SIGNED:
        return (
            f"project {project_id} is in status {project.status}; "
            f"a match needs its partnership signed ({Status.PARTNERSHIP_SIGNED})"
        )
    if candidate_role is None:
        return "the candidate's role is unknown"
    if candidate_role not in project.profiles_wanted:
        wanted = ", ".join(project.profiles_wanted) or "none"
        return f"project {project_id} does not want a {candidate_role} (wants: {wanted})"
    return None
