"""Promotions, their selection rounds and the jury's decisions (``/api/v1``).

Handlers only translate: the promotion workflow (through ``app.state.promotions``, a
:class:`PromotionDirectory`) owns rounds and seats, the dossier workflow (through
``app.state.dossier_workflows``, a :class:`DossierWorkflows`) owns the decisions' effects, and
who is in a round is the dossiers' (``app.state.round_members``, selection's read model).
"""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, status
from pydantic import AwareDatetime, BaseModel, Field

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse
from libs.api_params import JsonInt, PromotionFilter
from libs.auth import AdminDep, AnyStaffDep, JuryDep
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.action_refusals import REFUSALS, refusal_error
from services.selection.api.dossiers import decide
from services.selection.service_layer import RoundMembers
from workflows.dossier.client import DossierWorkflows
from workflows.dossier.models import RecordDecision
from workflows.promotion.calendar import bimonthly_calendar, first_cutoff_after
from workflows.promotion.client import (
    PromotionDirectory,
    PromotionNotFound,
    PromotionSummary,
    RoundNotFound,
)
from workflows.promotion.models import (
    MAX_PROMOTION_NUMBER,
    MAX_SEAT_CAP,
    PromotionInput,
    RoundDetail,
    RoundPlan,
    RoundRef,
    RoundState,
)

QUERY_FIELDS = {"promotion_number": "promotion"}
"""The client's names of the fields the routes take as query parameters."""
DEFAULT_CUTOFFS = 6
"""A bimonthly calendar covers the next twelve months, as the seeded promotion does."""

router = APIRouter(
    prefix="/api/v1",
    tags=["promotions and rounds"],
    responses={
        **ERROR_RESPONSES,
        401: {"model": ErrorResponse, "description": "Missing or invalid bearer token"},
        403: {"model": ErrorResponse, "description": "Role not allowed"},
        404: {"model": ErrorResponse, "description": "Unknown promotion, round or dossier"},
        409: {"model": ErrorResponse, "description": "Conflicts with the current state"},
        503: {"model": ErrorResponse, "description": "Temporal did not answer; retry later"},
    },
)


def promotion_directory(request: Request) -> PromotionDirectory:
    directory: PromotionDirectory = request.app.state.promotions
    return directory


def dossier_workflows(request: Request) -> DossierWorkflows:
    workflows: DossierWorkflows = request.app.state.dossier_workflows
    return workflows


def round_members(request: Request) -> RoundMembers:
    members: RoundMembers = request.app.state.round_members
    return members


PromotionsDep = Annotated[PromotionDirectory, Depends(promotion_directory)]
DossierWorkflowsDep = Annotated[DossierWorkflows, Depends(dossier_workflows)]
RoundMembersDep = Annotated[RoundMembers, Depends(round_members)]


# --- Schemas -------------------------------------------------------------------------------


class PromotionPublic(PromotionSummary):
    pass


class PromotionCreate(BaseModel):
    number: JsonInt = Field(
        ge=1, le=MAX_PROMOTION_NUMBER, description="Promotion number (7 for 2024)"
    )
    year: JsonInt = Field(ge=2016, le=2100, description="Year of the promotion")
    seat_cap: JsonInt = Field(ge=0, le=MAX_SEAT_CAP, description="Maximum number of EIG selected")
    calendar: Literal["bimonthly", "none"] = Field(
        default="bimonthly",
        description="bimonthly: a project and a candidate round at the end of every even "
        "month for twelve months, from the next one; none: no round yet",
    )


class PromotionCreated(PromotionPublic):
    rounds: list[RoundRef]


class RoundPublic(BaseModel):
    promotion_number: int
    round_id: str
    kind: DossierKind
    state: RoundState
    cutoff_at: datetime
    deliberation_at: datetime

    @classmethod
    def of(cls, promotion_number: int, ref: RoundRef) -> "RoundPublic":
        return cls(promotion_number=promotion_number, **ref.model_dump())


class RoundCreate(BaseModel):
    promotion_number: JsonInt = Field(ge=1, le=MAX_PROMOTION_NUMBER)
    kind: DossierKind
    cutoff_at: AwareDatetime = Field(description="Dossiers arriving after it go to a later round")
    deliberation_at: AwareDatetime = Field(description="When the jury deliberates (≥ cutoff_at)")
    round_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Default: {promotion}-{kind}-{cut-off year-month}, e.g. 7-project-2024-04",
    )

    def plan(self) -> RoundPlan:
        cutoff_month = f"{self.cutoff_at.astimezone(UTC):%Y-%m}"
        return RoundPlan(
            round_id=self.round_id or f"{self.promotion_number}-{self.kind.value}-{cutoff_month}",
            kind=self.kind,
            cutoff_at=self.cutoff_at,
            deliberation_at=self.deliberation_at,
        )


class RoundDetailPublic(RoundPublic):
    dossier_ids: list[UUID] = Field(
        description="Dossiers in the round and not final (selection's read model), by id"
    )
    seats_left: int = Field(description="Seats left in the round's promotion")


class DecisionCreate(RecordDecision):
    dossier_id: UUID = Field(description="A project dossier enrolled in the round")

    def action_body(self) -> RecordDecision:
        return RecordDecision(**self.model_dump(exclude={"dossier_id"}))


class DecisionPublic(BaseModel):
    dossier_id: UUID
    round_id: str
    status: DossierStatus
    allowed_actions: list[str]


# --- Error translation ---------------------------------------------------------------------


def _refused(error: Exception) -> ApiError:
    """A promotion client's refusal, answered like every workflow client's."""
    return refusal_error(error, field_names=QUERY_FIELDS)


async def _locate_round(
    promotions: PromotionDirectory, round_id: str, promotion: int | None
) -> tuple[int, RoundDetail]:
    """The round and its promotion; without ``promotion``, searched in every promotion."""
    try:
        if promotion is not None:
            return promotion, await promotions.round_detail(promotion, round_id)
        for listed in await promotions.list_promotions():
            try:
                return listed.number, await promotions.round_detail(listed.number, round_id)
            except (RoundNotFound, PromotionNotFound):
                continue
        raise RoundNotFound(round_id)
    except REFUSALS as error:
        raise _refused(error) from error


# --- Promotions ----------------------------------------------------------------------------


@router.get("/promotions", response_model=list[PromotionPublic])
async def list_promotions(_user: AnyStaffDep, promotions: PromotionsDep) -> list[PromotionSummary]:
    try:
        return await promotions.list_promotions()
    except REFUSALS as error:
        raise _refused(error) from error


@router.post("/promotions", status_code=status.HTTP_201_CREATED, response_model=PromotionCreated)
async def create_promotion(
    body: PromotionCreate, _user: AdminDep, promotions: PromotionsDep
) -> PromotionCreated:
    rounds = (
        bimonthly_calendar(
            body.number,
            body.year,
            first_cutoff=first_cutoff_after(datetime.now(UTC)),
            count=DEFAULT_CUTOFFS,
        )
        if body.calendar == "bimonthly"
        else []
    )
    try:
        created = await promotions.start_promotion(
            PromotionInput(
                number=body.number, year=body.year, seat_cap=body.seat_cap, rounds=rounds
            )
        )
    except REFUSALS as error:
        raise _refused(error) from error
    return PromotionCreated(
        **created.model_dump(),
        rounds=[RoundRef(**plan.model_dump()) for plan in rounds],
    )


# --- Rounds --------------------------------------------------------------------------------


@router.get("/rounds", response_model=list[RoundPublic])
async def list_rounds(
    _user: AnyStaffDep,
    promotions: PromotionsDep,
    promotion: PromotionFilter = None,
    kind: DossierKind | None = None,
    state: RoundState | None = None,
) -> list[RoundPublic]:
    try:
        numbers = (
            [promotion]
            if promotion is not None
            else [listed.number for listed in await promotions.list_promotions()]
        )
        rounds = [
            RoundPublic.of(number, ref)
            for number in numbers
            for ref in await promotions.calendar(number)
        ]
    except REFUSALS as error:
        raise _refused(error) from error
    return [
        item
        for item in rounds
        if (kind is None or item.kind == kind) and (state is None or item.state == state)
    ]


@router.post("/rounds", status_code=status.HTTP_201_CREATED, response_model=RoundPublic)
async def create_round(
    body: RoundCreate, _user: AdminDep, promotions: PromotionsDep
) -> RoundPublic:
    try:
        ref = await promotions.add_round(body.promotion_number, body.plan())
    except REFUSALS as error:
        # The body names the promotion as the client does: no renaming.
        raise refusal_error(error) from error
    return RoundPublic.of(body.promotion_number, ref)


@router.get("/rounds/{round_id}", response_model=RoundDetailPublic)
async def get_round(
    round_id: str,
    _user: AnyStaffDep,
    promotions: PromotionsDep,
    members: RoundMembersDep,
    promotion: PromotionFilter = None,
) -> RoundDetailPublic:
    number, detail = await _locate_round(promotions, round_id, promotion)
    try:
        seats = await promotions.seats(number)
    except REFUSALS as error:
        raise _refused(error) from error
    return RoundDetailPublic(
        **RoundPublic.of(number, detail.round).model_dump(),
        dossier_ids=await members.members(round_id),
        seats_left=max(seats.seat_cap - seats.seats_taken, 0),
    )


@router.post(
    "/rounds/{round_id}/decisions",
    response_model=DecisionPublic,
    summary="The jury's decision on a dossier of the round (once its cut-off has passed)",
    responses={
        409: {
            "model": ErrorResponse,
            "description": "The round is still open (before its cut-off), the dossier is not "
            "enrolled in it, or its status does not allow a decision (then with status and "
            "allowed_actions)",
        },
    },
)
async def record_decision(
    round_id: str,
    body: DecisionCreate,
    user: JuryDep,
    promotions: PromotionsDep,
    dossier_workflows: DossierWorkflowsDep,
    promotion: PromotionFilter = None,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, description="Retries apply once"),
    ] = None,
) -> DecisionPublic:
    _number, detail = await _locate_round(promotions, round_id, promotion)
    result = await decide(
        dossier_workflows,
        body.dossier_id,
        body.action_body(),
        user,
        idempotency_key,
        round=detail.round,
    )
    return DecisionPublic(
        dossier_id=body.dossier_id,
        round_id=round_id,
        status=result.status,
        allowed_actions=result.allowed_actions,
    )
