"""The dossier workflows' contract with their callers: names, ids, actions, inputs and results.

Names of the update, query, signal and activities (constants: the workflows call activities by
name and the clients address the workflow by name, so neither imports the other); the workflow
id; the actions staff (and applicants) take and the body each one carries (the selection API
publishes these models in its OpenAPI document and forwards the body as the ``payload`` of the
``apply_action`` update, which validates it again with the same model); one model per workflow
and per activity input or result, so fields can be added without breaking callers or replaying
histories (new fields get defaults). Pure pydantic: safe to pass through the sandbox.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.messages.common import Contact, DossierKind, Role
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
    Outcome,
)
from libs.plain_text import PlainText
from workflows.action_rules import NOTE_MAX_LENGTH, ActionDate
from workflows.promotion.models import RoundRef

# Names on the wire (recorded in histories: never change one).
APPLY_ACTION: Final = "apply_action"
"""Update: one action on the dossier."""
SNAPSHOT: Final = "snapshot"
"""Query: the dossier's status, allowed actions and timeline."""
ROUND_OPENED: Final = "round_opened"
"""Signal the promotion sends a waiting dossier's workflow, with the RoundRef it was enrolled in."""
PUBLISH_STATUS_CHANGE: Final = "publish_status_change"
PUBLISH_DEADLINE_PASSED: Final = "publish_deadline_passed"
DESCRIBE_DOSSIER: Final = "describe_dossier"
"""Activities of the dossier workflows."""


def dossier_workflow_id(dossier_id: UUID) -> str:
    """The dossier id is the business key, so one dossier never gets two workflows."""
    return f"dossier-{dossier_id}"


# --- Actions and their bodies ---------------------------------------------------------------

APPLICANT: Final = "applicant"
"""Actor of the actions the applicant takes through their private link (withdraw)."""
SYSTEM: Final = "system"
"""Actor of the automatic steps."""


class Action(StrEnum):
    """Every action, both kinds of dossier; ``rules`` says which applies where."""

    # Project dossiers.
    REQUEST_INVESTIGATION = "request_investigation"
    RECORD_INVESTIGATION = "record_investigation"
    RECORD_EVALUATION = "record_evaluation"
    RECORD_DEFENCE = "record_defence"
    RECORD_DECISION = "record_decision"
    SIGN_PARTNERSHIP = "sign_partnership"
    # Candidate dossiers.
    RECORD_REVIEW = "record_review"
    RECORD_INTERVIEW = "record_interview"
    PROPOSE_MATCH = "propose_match"
    RECORD_JOINT_INTERVIEW = "record_joint_interview"
    # Both.
    WITHDRAW = "withdraw"


Note = Annotated[PlainText, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX_LENGTH)]
"""Trimmed, bounded, without control characters but line breaks and tabs."""


class ActionBody(BaseModel):
    """Base of the bodies: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EvaluationOutcome(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class InvestigationOutcome(StrEnum):
    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"


class JuryDecision(StrEnum):
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    DEFERRED = Outcome.DEFERRED.value


class ReviewOutcome(StrEnum):
    SHORTLISTED = "shortlisted"
    REJECTED = "rejected"


class InterviewOutcome(StrEnum):
    POOL = "pool"
    REJECTED = "rejected"


class JointInterviewOutcome(StrEnum):
    SELECTED = "selected"
    BACK_TO_POOL = Outcome.BACK_TO_POOL.value


class RequestInvestigation(ActionBody):
    """Ask beta.gouv.fr to investigate the project before it is evaluated."""

    note: Note = Field(
        default="", description="Why an investigation is needed (shown to the applicant)"
    )


class RecordInvestigation(ActionBody):
    """Conclude the investigation: the project goes back to evaluation, or is ineligible."""

    outcome: InvestigationOutcome = Field(
        description="qualified → in_evaluation; not_qualified → ineligible"
    )
    note: Note = Field(default="", description="Conclusion shown to the applicant")


class RecordEvaluation(ActionBody):
    """Evaluate the project (refused while an investigation it requires is missing)."""

    outcome: EvaluationOutcome = Field(
        description="eligible (then scheduled in a round) or ineligible"
    )
    note: Note = Field(default="", description="Evaluation summary shown to the applicant")


class RecordDefence(ActionBody):
    """The project was defended before the selection committee."""

    note: Note = Field(default="", description="Remarks on the defence shown to the applicant")


class RecordDecision(ActionBody):
    """The jury's deliberation on a defended project."""

    decision: JuryDecision = Field(
        description="selected; not_selected (final); deferred (joins the next round)"
    )
    note: Note = Field(default="", description="The jury's reasons shown to the applicant")


class SignPartnership(ActionBody):
    """The administration signed the partnership agreement: the project is open for matches."""

    signed_on: ActionDate = Field(description="Date the agreement was signed (ISO 8601)")


class RecordReview(ActionBody):
    """Review of the candidate's application."""

    outcome: ReviewOutcome = Field(description="shortlisted → interview; rejected (final)")
    note: Note = Field(default="", description="Review summary shown to the applicant")


class RecordInterview(ActionBody):
    """The candidate's interview with the programme team."""

    outcome: InterviewOutcome = Field(description="pool → in_pool; rejected (final)")
    note: Note = Field(default="", description="Interview summary shown to the applicant")


class ProposeMatch(ActionBody):
    """Match a pooled candidate with a signed-partnership project that wants their role."""

    project_dossier_id: UUID = Field(description="The project dossier to match the candidate with")


class RecordJointInterview(ActionBody):
    """The candidate's interview with the matched administration."""

    outcome: JointInterviewOutcome = Field(
        description="selected (takes a seat of the promotion) or back_to_pool"
    )
    note: Note = Field(default="", description="Interview summary shown to the applicant")


class Withdraw(ActionBody):
    """The applicant withdraws the dossier (final)."""


ACTION_BODIES: dict[str, type[BaseModel]] = {
    Action.REQUEST_INVESTIGATION: RequestInvestigation,
    Action.RECORD_INVESTIGATION: RecordInvestigation,
    Action.RECORD_EVALUATION: RecordEvaluation,
    Action.RECORD_DEFENCE: RecordDefence,
    Action.RECORD_DECISION: RecordDecision,
    Action.SIGN_PARTNERSHIP: SignPartnership,
    Action.RECORD_REVIEW: RecordReview,
    Action.RECORD_INTERVIEW: RecordInterview,
    Action.PROPOSE_MATCH: ProposeMatch,
    Action.RECORD_JOINT_INTERVIEW: RecordJointInterview,
    Action.WITHDRAW: Withdraw,
}
"""The body model of each action, by action name (the selection API's request models)."""


# --- Workflow input, update, query ---------------------------------------------------------


class DossierInput(BaseModel):
    """What a dossier workflow starts from: the accepted application, without its form."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID = Field(description="The dossier; its workflow id is derived from it")
    kind: DossierKind = Field(description="Candidate or project dossier")
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact = Field(description="Who is told about every status change")
    submitted_at: datetime = Field(description="When intake accepted the application (UTC)")
    # Added with the staff-driven stages: defaults keep the inputs of running dossiers valid.
    requires_investigation: bool = Field(
        default=False,
        description="Project only: an evaluation outcome waits for an investigation (phase "
        "'none' or no beta.gouv.fr product page)",
    )
    role: Role | None = Field(default=None, description="Candidate only: the role applied for")
    profiles_wanted: list[Role] = Field(
        default_factory=list, description="Project only: the roles it wants"
    )
    stage_deadline_days: int = Field(
        default=14, ge=1, description="Days staff have at each stage before it is overdue"
    )
    promotion_number: int = Field(default=7, ge=1, description="Promotion the dossier joins")
    # Added with contracts: the pay band's only input, and the host named in the contract.
    years_of_experience: int | None = Field(
        default=None, ge=0, description="Candidate only: years of professional experience"
    )
    administration_name: str = Field(
        default="", description="Project only: the administration that would host the EIG"
    )
    offer_validity_days: int = Field(
        default=10, ge=1, description="Candidate only: days a contract offer stays open"
    )
    offer_reminder_days: int = Field(
        default=3, ge=0, description="Candidate only: days before an offer lapses to remind"
    )


class ActionRequest(BaseModel):
    """Argument of the ``apply_action`` update: one staff (or applicant) action on the dossier."""

    model_config = ConfigDict(frozen=True)

    action: str = Field(description="Action name, e.g. record_review (see Action)")
    actor: str = Field(
        min_length=1,
        max_length=200,
        description="Who acts: a staff member's id, or 'applicant' for a withdrawal",
    )
    actor_name: str = Field(
        default="", max_length=200, description="The staff member's display name, if known"
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The action's body, checked against its model"
    )


class ActionResult(BaseModel):
    """Result of the ``apply_action`` update: where the dossier is now."""

    model_config = ConfigDict(frozen=True)

    status: DossierStatus
    allowed_actions: list[str] = Field(description="What can be done next")


class TimelineEntry(BaseModel):
    """One step of a dossier's history, as shown to the applicant and to staff."""

    model_config = ConfigDict(frozen=True)

    status: DossierStatus
    at: datetime = Field(description="Workflow time of the change (UTC)")
    note: str = Field(default="", description="Staff note shown to the applicant, if any")
    action: str = Field(default="", description="The action that caused it; empty if automatic")
    outcome: str = Field(default="", description="The action's outcome (e.g. deferred)")
    actor: str = Field(default="system", description="Staff id, applicant or system")
    actor_name: str = Field(default="", description="The staff member's display name, if known")
    details: dict[str, str] = Field(default_factory=dict, description="e.g. round_id")


class DossierSnapshot(BaseModel):
    """Result of the ``snapshot`` query: the dossier's current status and how it got there."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID
    kind: DossierKind
    status: DossierStatus | None = Field(
        description="Current status; None only before the workflow's first task has run"
    )
    timeline: list[TimelineEntry] = Field(default_factory=list)
    title: str = Field(default="", description="Project title, or the candidate's role")
    allowed_actions: list[str] = Field(default_factory=list, description="What can be done now")
    overdue: bool = Field(default=False, description="The current stage passed its deadline")
    deadline_at: datetime | None = Field(
        default=None, description="When the current stage is due; None if it waits for no one"
    )
    round: RoundRef | None = Field(default=None, description="The selection round joined")
    promotion_number: int = Field(default=7)
    role: Role | None = Field(default=None, description="Candidate only: the role applied for")
    profiles_wanted: list[Role] = Field(
        default_factory=list, description="Project only: the roles it wants"
    )
    requires_investigation: bool = Field(default=False)
    investigation_done: bool = Field(default=False)
    matched_project_id: UUID | None = Field(
        default=None, description="Candidate only: the project it is matched with"
    )
    administration_name: str = Field(default="", description="Project only: the host")
    contract_id: UUID | None = Field(
        default=None, description="Candidate only: the contract drafted since its selection"
    )
    contact: Contact | None = Field(
        default=None, description="Who the dossier's e-mails go to (a project: the host's contact)"
    )


# --- Activity inputs -----------------------------------------------------------------------


class PublishStatusChangeInput(BaseModel):
    """The status change to put on ``eig.dossier-events.v1``."""

    model_config = ConfigDict(frozen=True)

    event: DossierStatusChanged


class PublishDeadlinePassedInput(BaseModel):
    """The staff reminder to put on ``eig.dossier-events.v1``."""

    model_config = ConfigDict(frozen=True)

    event: DossierDeadlinePassed


class DescribeDossierInput(BaseModel):
    """Which dossier's ``snapshot`` to read (e.g. the project a candidate is matched with)."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID
