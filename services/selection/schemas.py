"""Request and response bodies of the staff API (SQLModel/pydantic families)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from libs.api_errors import ErrorResponse
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.selection.scorecards import CRITERIA, MAX_SCORE, MIN_SCORE

Score = Annotated[int, Field(ge=MIN_SCORE, le=MAX_SCORE)]


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
    total: int = Field(description="Dossiers matching the filters, all pages together")


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
