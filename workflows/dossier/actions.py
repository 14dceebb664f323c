"""The actions staff (and applicants) take on a dossier, and the body each one carries.

The selection API publishes these models in its OpenAPI document and forwards the body as the
``payload`` of the ``apply_action`` update; the workflow validates it again with the same model.
Pure pydantic: safe to pass through the workflow sandbox.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from libs.messages.dossier_events import Outcome

APPLICANT: Final = "applicant"
"""Actor of the actions the applicant takes through their private link (withdraw)."""
SYSTEM: Final = "system"
"""Actor of the automatic steps."""


class Action(StrEnum):
    """Every action, both kinds of dossier; ``transitions`` says which applies where."""

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


Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


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

    signed_on: date = Field(description="Date the agreement was signed (ISO 8601)")


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
