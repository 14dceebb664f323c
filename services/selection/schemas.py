"""Request and response bodies of the staff API (SQLModel/pydantic families)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field, JsonValue, StringConstraints

from libs.api_errors import ErrorResponse
from libs.api_params import JsonInt
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.operations.models import DeadLetterAction
from libs.plain_text import DocumentedTextPattern, PlainText, refuse_control_characters
from services.selection.scorecards import CRITERIA, MAX_SCORE, MIN_SCORE

Score = Annotated[JsonInt, Field(ge=MIN_SCORE, le=MAX_SCORE)]
ALL_CRITERIA: list[JsonValue] = [*sorted({name for names in CRITERIA.values() for name in names})]


class DossierSummary(BaseModel):
    """One line of the dossier list."""

    dossier_id: UUID
    kind: DossierKind
    title: str = Field(description="Project title, or the candidate's role")
    status: DossierStatus
    round_id: str | None = Field(description="The selection round joined, if any")
    overdue: bool = Field(description="The current stage passed its deadline")
    submitted_at: datetime | None = Field(description="None until the application is read")
    updated_at: datetime = Field(description="When the status last changed")


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int = Field(
        description="Dossiers matching the filters, all pages together (at least that many "
        "when total_exact is false)"
    )
    total_exact: bool = Field(
        default=True,
        description="false: a count no counter serves (round, followed, search) stopped at "
        "1,000; there are more (shown as 1 000+)",
    )
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )
    previous_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` for the previous page; null on the first page",
    )


class CommentCreate(BaseModel):
    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
    ] = Field(description="The note (staff only, never shown to the applicant)")


class CommentPublic(BaseModel):
    id: int
    dossier_id: UUID
    author: str = Field(description="The author's staff id")
    author_name: str = Field(description="The author's display name, if known")
    body: str
    created_at: datetime


class CommentList(BaseModel):
    items: list[CommentPublic] = Field(description="Oldest first")


class FollowState(BaseModel):
    followed: bool = Field(description="Whether the caller follows the dossier")


class DossierCounts(BaseModel):
    """How many dossiers there are in each status, for a dashboard."""

    by_kind: dict[DossierKind, dict[DossierStatus, int]] = Field(
        description="Kind → status → dossiers (statuses without dossiers are left out)"
    )
    overdue: int = Field(description="Dossiers whose current stage passed its deadline")


class TimelineItem(BaseModel):
    status: DossierStatus
    at: datetime = Field(description="When it happened (UTC)")
    action: str = Field(description="The action that caused it; empty if automatic")
    outcome: str
    actor: str = Field(description="Staff id, applicant or system")
    actor_name: str = Field(default="", description="The staff member's display name, if known")
    note: str


class EvaluationSummary(BaseModel):
    count: int = Field(description="Evaluations counted (conflicted evaluators excluded)")
    criterion_means: dict[str, float] = Field(description="Criterion → mean score (0 to 3)")
    total: float = Field(description="Sum of the criterion means")


class DossierDetail(DossierSummary):
    application: dict[str, object] = Field(
        description="The application as submitted, without the fields listed in `withheld`"
    )
    withheld: list[str] = Field(
        default_factory=list,
        description="Fields of the application not shown to the caller's role: evaluators "
        "and the jury do not see contact details",
    )
    timeline: list[TimelineItem]
    evaluations: EvaluationSummary | None = Field(
        description="null when the caller declared a conflict of interest on the dossier: "
        "they no longer see the others' scores"
    )
    allowed_actions: list[str] = Field(description="What can be done now")
    followed: bool = Field(default=False, description="Whether the caller follows the dossier")
    state_source: Literal["workflow", "read_model"] = Field(
        description="workflow: status, allowed_actions and overdue come from the dossier "
        "workflow (authoritative); read_model: the workflow could not be asked (Temporal "
        "unreachable or workflow not started), they come from the read model and "
        "allowed_actions is empty"
    )


class ActionOutcome(BaseModel):
    """Where the dossier is after the action."""

    status: DossierStatus
    allowed_actions: list[str] = Field(description="What can be done next")


class ActionConflict(ErrorResponse):
    """409: the dossier's status does not allow the action."""

    status: str | None = Field(default=None, description="The dossier's current status")
    allowed_actions: list[str] = Field(default_factory=list, description="What can be done now")


def _criteria_text(kind: DossierKind) -> str:
    return ", ".join(CRITERIA[kind])


class EvaluationCreate(BaseModel):
    """A scorecard: every criterion of the dossier's kind, each scored 0 to 3."""

    scores: dict[str, Score] = Field(
        description=f"Criterion → score ({MIN_SCORE} to {MAX_SCORE}). Project dossiers: "
        f"{_criteria_text(DossierKind.PROJECT)}. Candidate dossiers: "
        f"{_criteria_text(DossierKind.CANDIDATE)}.",
        examples=[dict.fromkeys(CRITERIA[DossierKind.CANDIDATE], 2)],
        # The criteria of both kinds: which ones apply depends on the dossier (422 otherwise).
        json_schema_extra={"propertyNames": {"enum": ALL_CRITERIA}},
    )
    comment: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class EvaluationPublic(BaseModel):
    id: int
    dossier_id: UUID
    author: str = Field(description="The evaluator's staff id; only they may edit it")
    scores: dict[str, int] = Field(description="Criterion → score (0 to 3)")
    comment: str
    created_at: datetime
    updated_at: datetime = Field(description="Last edit (equals created_at until edited)")
    counted: bool = Field(
        default=True,
        description="False when its author declared a conflict of interest on the dossier: "
        "the scores then stay out of the summary",
    )


class EvaluationList(BaseModel):
    items: list[EvaluationPublic] = Field(description="Oldest first")
    summary: EvaluationSummary


class ConflictCreate(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        default="", description="Why (kept for the programme team)"
    )


class ConflictPublic(BaseModel):
    dossier_id: UUID
    evaluator: str
    reason: str
    declared_at: datetime


# --- operations (admins) ---


class DeadLetterDecisionBody(BaseModel):
    reason: Annotated[PlainText, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default="", description="Why, in the operator's words (required to discard)"
    )


class DeadLetterDiscardBody(BaseModel):
    # The bounds before the text check: after an AfterValidator, pydantic would apply
    # min_length to the unstripped text ("  " would pass).
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        AfterValidator(refuse_control_characters),
        DocumentedTextPattern(),
    ] = Field(description="Why the message is left out for good, in the operator's words")


class DeadLetterActionPublic(BaseModel):
    """One handled dead letter: who did what to which message, and why."""

    topic: str
    partition: int
    offset: int
    source_topic: str | None
    decision: str = Field(description="replay or discard")
    actor: str
    acted_at: datetime
    reason: str

    @classmethod
    def of(cls, action: DeadLetterAction) -> "DeadLetterActionPublic":
        return cls.model_validate(action, from_attributes=True)


class DeadLetterActionList(BaseModel):
    items: list[DeadLetterActionPublic]


class ErasureBody(BaseModel):
    # The bounds before the text check, as DeadLetterDiscardBody's.
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        AfterValidator(refuse_control_characters),
        DocumentedTextPattern(),
    ] = Field(description="Why the applicant's data is erased (their request, its reference)")


class ErasurePublic(BaseModel):
    """An erasure on request: who, why, when; ``erased`` counts the rows changed per table
    by this call (empty when the dossier was already erased)."""

    dossier_id: UUID
    erased_by: str
    reason: str
    erased_at: datetime
    erased: dict[str, int] = Field(default_factory=dict, description="Rows per table.action")


class PersonalDataExport(BaseModel):
    """Everything the platform's tables hold about one applicant, by service and table."""

    dossier_id: UUID
    personal_data_erased_at: datetime | None = Field(
        description="When it was erased (retention or a request); None while it is held"
    )
    tables: dict[str, list[dict[str, JsonValue]]] = Field(
        description="Rows per `service.table`, each as stored (dates in ISO 8601)"
    )
