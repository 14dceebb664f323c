"""Staff dossier endpoints (``/api/v1/dossiers``): list, detail, actions, evaluations.

Handlers only translate: the read model and evaluations through the service layer, actions
and the authoritative state through the :class:`DossierWorkflows` port.
"""

from collections.abc import Awaitable
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import BaseModel

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError
from libs.api_params import MAX_COLUMN_INT
from libs.auth import AUTH_RESPONSES, AnyStaffDep, EvaluatorDep, JuryDep, StaffDep, StaffUser
from libs.messages.applications import AdministrationKind
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus
from services.action_refusals import REFUSALS, refusal_error, refusal_kind
from services.selection import listing, metrics, service_layer
from services.selection.api.dependencies import SelectionDep
from services.selection.metrics import ActionResultLabel
from services.selection.models import Evaluation, StaffDossier
from services.selection.schemas import (
    ActionConflict,
    ActionOutcome,
    CommentCreate,
    CommentList,
    CommentPublic,
    ConflictCreate,
    ConflictPublic,
    DossierCounts,
    DossierDetail,
    DossierPage,
    DossierSummary,
    EvaluationCreate,
    EvaluationList,
    EvaluationPublic,
    EvaluationSummary,
    FollowState,
    TimelineItem,
)
from workflows.client_errors import WorkflowsUnavailable
from workflows.dossier.client import DossierWorkflows
from workflows.dossier.models import (
    ACTION_BODIES,
    Action,
    ActionRequest,
    ActionResult,
    RecordDecision,
)
from workflows.promotion.models import RoundRef

NOT_FOUND = "Dossier introuvable / Dossier not found."
EVALUATION_NOT_FOUND = "Évaluation introuvable / Evaluation not found."

STAFF_ACTIONS: dict[Action, tuple[str, Any]] = {
    Action.REQUEST_INVESTIGATION: (
        "/dossiers/{dossier_id}/actions/request_investigation",
        StaffDep,
    ),
    Action.RECORD_INVESTIGATION: ("/dossiers/{dossier_id}/actions/record_investigation", StaffDep),
    Action.RECORD_EVALUATION: ("/dossiers/{dossier_id}/actions/record_evaluation", StaffDep),
    Action.RECORD_DEFENCE: ("/dossiers/{dossier_id}/actions/record_defence", StaffDep),
    Action.RECORD_DECISION: ("/dossiers/{dossier_id}/actions/record_decision", JuryDep),
    Action.SIGN_PARTNERSHIP: ("/dossiers/{dossier_id}/actions/sign_partnership", StaffDep),
    Action.RECORD_REVIEW: ("/dossiers/{dossier_id}/actions/record_review", StaffDep),
    Action.RECORD_INTERVIEW: ("/dossiers/{dossier_id}/actions/record_interview", StaffDep),
    Action.PROPOSE_MATCH: ("/dossiers/{dossier_id}/actions/propose_match", StaffDep),
    Action.RECORD_JOINT_INTERVIEW: (
        "/dossiers/{dossier_id}/actions/record_joint_interview",
        StaffDep,
    ),
}
"""Each staff action, its route and who may take it (admins may take all). ``withdraw`` is the
applicant's, through intake's private link: it has no route here (404)."""

NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown dossier"}
}

router = APIRouter(prefix="/api/v1", tags=["dossiers"], responses=AUTH_RESPONSES)


def _summary(dossier: StaffDossier | listing.ListedDossier) -> DossierSummary:
    return DossierSummary(
        dossier_id=dossier.dossier_id,
        kind=DossierKind(dossier.kind),
        title=dossier.title,
        status=DossierStatus(dossier.status),
        round_id=dossier.round_id,
        overdue=dossier.overdue,
        submitted_at=dossier.submitted_at,
        updated_at=dossier.updated_at,
    )


@router.get("/dossiers", summary="List dossiers (read model)")
async def list_dossiers(
    selection: SelectionDep,
    user: AnyStaffDep,
    kind: DossierKind | None = None,
    status: DossierStatus | None = None,
    round_id: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Text in title or form")
    ] = None,
    final: Annotated[
        bool | None,
        Query(description="true: decided dossiers (final status); false: still to handle"),
    ] = None,
    followed: Annotated[
        bool | None, Query(description="true: only the dossiers the caller follows")
    ] = None,
    role: Annotated[
        Role | None, Query(description="Candidates of this role and projects that want it")
    ] = None,
    administration_kind: AdministrationKind | None = None,
    awaiting_my_evaluation: Annotated[
        bool | None,
        Query(
            description="true: dossiers in a scored stage the caller has neither scored nor "
            "declared a conflict of interest on"
        ),
    ] = None,
    sort: listing.DossierSort = listing.DossierSort.UPDATED_DESC,
    limit: Annotated[int, Query(ge=0, le=100, description="0: the total alone")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="A page's next_cursor or previous_cursor, with the same sort",
        ),
    ] = None,
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=listing.MAX_OFFSET,
            description="Rows to skip (bounded; cursors go anywhere); not with a cursor",
        ),
    ] = 0,
) -> DossierPage:
    if cursor is not None and offset:
        raise ApiError(
            422,
            "Utilisez cursor ou offset, pas les deux / Use cursor or offset, not both.",
            [FieldError(field="offset", message="not with a cursor", type="value_error")],
        )
    filters = listing.DossierFilters(
        kind=kind,
        status=status.value if status else None,
        round_id=round_id,
        overdue=overdue,
        q=q,
        final=final,
        followed_by=user.id if followed else None,
        role=role.value if role else None,
        administration_kind=administration_kind.value if administration_kind else None,
        awaiting_evaluation_by=user.id if awaiting_my_evaluation else None,
    )
    try:
        page = await listing.list_dossiers(
            selection.sessions, filters, limit=limit, sort=sort, cursor=cursor, offset=offset
        )
    except listing.InvalidCursor as error:
        raise ApiError(
            422,
            f"Curseur invalide / Invalid cursor: {error}.",
            [FieldError(field="cursor", message=str(error), type="value_error")],
        ) from None
    return DossierPage(
        items=[_summary(row) for row in page.items],
        total=page.total,
        total_exact=page.exact,
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
    )


@router.get("/dossiers/counts", summary="Dossiers per kind and status, and overdue ones")
async def count_dossiers(selection: SelectionDep, _user: AnyStaffDep) -> DossierCounts:
    counts = await listing.count_dossiers(selection.sessions)
    return DossierCounts.model_validate(counts, from_attributes=True)


@router.get(
    "/dossiers/{dossier_id}",
    summary="One dossier: application, timeline, evaluations, allowed actions",
    responses=NOT_FOUND_RESPONSE,
)
async def get_dossier(
    dossier_id: UUID, selection: SelectionDep, user: AnyStaffDep
) -> DossierDetail:
    try:
        record = await service_layer.find_dossier(selection.sessions, dossier_id)
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    dossier = record.dossier
    summary = _summary(dossier)
    allowed_actions: list[str] = []
    source: Literal["workflow", "read_model"] = "read_model"
    try:
        snapshot = await selection.dossier_workflows.snapshot(dossier_id)
    except WorkflowsUnavailable:
        snapshot = None  # Temporal unreachable: the read model still answers
    if snapshot is not None and snapshot.status is not None:
        summary = summary.model_copy(
            update={"status": snapshot.status, "overdue": snapshot.overdue}
        )
        allowed_actions = list(snapshot.allowed_actions)
        source = "workflow"
    application, withheld = dossier.application, list[str]()
    if not user.sees_personal_details:
        application, withheld = service_layer.without_contact_details(application)
    return DossierDetail(
        **summary.model_dump(),
        application=application,
        withheld=withheld,
        timeline=[
            TimelineItem(
                status=DossierStatus(entry.status),
                at=entry.occurred_at,
                action=entry.action,
                outcome=entry.outcome,
                actor=entry.actor,
                actor_name=entry.actor_name,
                note=entry.note,
            )
            for entry in record.timeline
        ],
        evaluations=None
        if user.id in record.conflicted
        else _evaluation_summary(record.evaluations),
        allowed_actions=allowed_actions,
        followed=await service_layer.is_followed(selection.sessions, dossier_id, user.id),
        state_source=source,
    )


@router.put(
    "/dossiers/{dossier_id}/follow",
    summary='Follow the dossier (the caller\'s "followed" list)',
    tags=["follows"],
    responses=NOT_FOUND_RESPONSE,
)
async def follow_dossier(
    dossier_id: UUID, selection: SelectionDep, user: AnyStaffDep
) -> FollowState:
    return await _follow(selection, dossier_id, user, on=True)


@router.delete(
    "/dossiers/{dossier_id}/follow",
    summary="Stop following the dossier",
    tags=["follows"],
    responses=NOT_FOUND_RESPONSE,
)
async def unfollow_dossier(
    dossier_id: UUID, selection: SelectionDep, user: AnyStaffDep
) -> FollowState:
    return await _follow(selection, dossier_id, user, on=False)


async def _follow(
    selection: SelectionDep, dossier_id: UUID, user: StaffUser, *, on: bool
) -> FollowState:
    try:
        await service_layer.follow(selection.sessions, dossier_id, user.id, on=on)
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    return FollowState(followed=on)


@router.get(
    "/dossiers/{dossier_id}/comments",
    summary="The dossier's internal comments (staff only), oldest first",
    tags=["comments"],
    responses=NOT_FOUND_RESPONSE,
)
async def list_comments(
    dossier_id: UUID, selection: SelectionDep, _user: AnyStaffDep
) -> CommentList:
    try:
        comments = await service_layer.list_comments(selection.sessions, dossier_id)
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    return CommentList(
        items=[CommentPublic.model_validate(c, from_attributes=True) for c in comments]
    )


@router.post(
    "/dossiers/{dossier_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Add an internal comment (never shown to the applicant)",
    tags=["comments"],
    responses={**NOT_FOUND_RESPONSE, 422: ERROR_RESPONSES[422]},
)
async def add_comment(
    dossier_id: UUID, body: CommentCreate, selection: SelectionDep, user: AnyStaffDep
) -> CommentPublic:
    try:
        comment = await service_layer.add_comment(
            selection.sessions,
            dossier_id,
            author=user.id,
            author_name=user.name,
            body=body.body,
        )
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    return CommentPublic.model_validate(comment, from_attributes=True)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retrying with the same key applies the action once",
    ),
]


async def apply_action(
    selection: SelectionDep,
    dossier_id: UUID,
    action: Action,
    body: BaseModel,
    user: StaffUser,
    idempotency_key: str | None,
) -> ActionOutcome:
    request = ActionRequest(
        action=action.value,
        actor=user.id,
        actor_name=user.name,
        payload=body.model_dump(mode="json"),
    )
    result = await counted(
        action,
        selection.dossier_workflows.apply_action(
            dossier_id, request, update_id=idempotency_key or str(uuid4())
        ),
    )
    return ActionOutcome(status=result.status, allowed_actions=result.allowed_actions)


async def counted(action: Action, applying: Awaitable[ActionResult]) -> ActionResult:
    """The result of ``applying`` the action, counted; its refusals answered the one way
    (``services/action_refusals.py``)."""
    try:
        result = await applying
    except REFUSALS as error:
        metrics.count_action(action.value, ActionResultLabel(refusal_kind(error)))
        raise refusal_error(error, not_found=NOT_FOUND) from None
    metrics.count_action(action.value, ActionResultLabel.OK)
    return result


async def decide(
    workflows: DossierWorkflows,
    dossier_id: UUID,
    decision: RecordDecision,
    user: StaffUser,
    idempotency_key: str | None,
    *,
    round: RoundRef | None = None,
) -> ActionResult:
    """Both routes of the jury's decisions: this dossier's action, and a round's decisions."""
    return await counted(
        Action.RECORD_DECISION,
        service_layer.record_decision(
            workflows,
            dossier_id,
            decision,
            actor=user.id,
            actor_name=user.name,
            update_id=idempotency_key or str(uuid4()),
            round=round,
        ),
    )


ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND_RESPONSE,
    409: {
        "model": ActionConflict,
        "description": "Not allowed in the dossier's status (with status and allowed_actions), "
        "or refused by the workflow (e.g. '30/30 seats taken')",
    },
    422: ERROR_RESPONSES[422],
    503: {"model": ErrorResponse, "description": "Temporal unreachable: retry later"},
}


def _action_route(action: Action, path: str, role: Any) -> None:
    body_model = ACTION_BODIES[action]
    assert path.endswith(f"/actions/{action.value}"), path

    async def endpoint(
        dossier_id: UUID,
        body: body_model,  # type: ignore[valid-type]
        selection: SelectionDep,
        user: role,
        idempotency_key: IdempotencyKey = None,
    ) -> ActionOutcome:
        return await apply_action(selection, dossier_id, action, body, user, idempotency_key)

    endpoint.__name__ = f"action_{action.value}"
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        response_model=ActionOutcome,
        summary=(body_model.__doc__ or action.value).strip().splitlines()[0],
        tags=["actions"],
        responses=ACTION_RESPONSES,
    )


@router.post(
    "/dossiers/{dossier_id}/actions/record_decision",
    response_model=ActionOutcome,
    summary="The jury's deliberation on a defended project",
    tags=["actions"],
    responses=ACTION_RESPONSES,
)
async def action_record_decision(
    dossier_id: UUID,
    body: RecordDecision,
    selection: SelectionDep,
    user: JuryDep,
    idempotency_key: IdempotencyKey = None,
) -> ActionOutcome:
    """The same decision as ``POST /api/v1/rounds/{round_id}/decisions``, by the dossier."""
    result = await decide(selection.dossier_workflows, dossier_id, body, user, idempotency_key)
    return ActionOutcome(status=result.status, allowed_actions=result.allowed_actions)


for _action, (_path, _role) in STAFF_ACTIONS.items():
    if _action != Action.RECORD_DECISION:  # declared above: one path for every decision
        _action_route(_action, _path, _role)


@router.post("/dossiers/{dossier_id}/actions/{action}", include_in_schema=False, status_code=404)
async def unknown_action(
    _dossier_id: Annotated[UUID, Path(alias="dossier_id")], action: str, _user: AnyStaffDep
) -> None:
    """Any other action name (``withdraw`` included: the applicant's, not staff's)."""
    known = ", ".join(action.value for action in STAFF_ACTIONS)
    raise ApiError(404, f"Action inconnue / Unknown action: {action}. Staff actions: {known}.")


def _evaluation_summary(totals: service_layer.EvaluationTotals) -> EvaluationSummary:
    return EvaluationSummary(
        count=totals.count, criterion_means=totals.criterion_means, total=totals.total
    )


def _evaluation_public(evaluation: Evaluation, *, counted: bool = True) -> EvaluationPublic:
    assert evaluation.id is not None  # read back from the database
    return EvaluationPublic(
        id=evaluation.id,
        dossier_id=evaluation.dossier_id,
        author=evaluation.author,
        scores=evaluation.scores,
        comment=evaluation.comment,
        created_at=evaluation.created_at,
        updated_at=evaluation.updated_at or evaluation.created_at,
        counted=counted,
    )


def _invalid_scorecard(error: service_layer.InvalidScorecard) -> ApiError:
    fields = [
        FieldError(field=f"scores.{name}", message=message, type="value_error")
        for name, message in error.errors.items()
    ]
    noun = "criterion is" if len(fields) == 1 else "criteria are"
    return ApiError(422, f"{len(fields)} {noun} invalid: {error}.", fields)


def _conflict_of_interest() -> ApiError:
    return ApiError(
        403,
        "Conflit d'intérêts déclaré : vous ne pouvez pas évaluer ce dossier / "
        "You declared a conflict of interest: you cannot evaluate this dossier.",
    )


@router.get(
    "/dossiers/{dossier_id}/evaluations",
    summary="Every evaluation of a dossier, with the summary they add up to",
    tags=["evaluations"],
    responses={
        **NOT_FOUND_RESPONSE,
        403: {
            "model": ErrorResponse,
            "description": "The caller declared a conflict of interest on the dossier",
        },
    },
)
async def list_evaluations(
    dossier_id: UUID, selection: SelectionDep, user: AnyStaffDep
) -> EvaluationList:
    try:
        listing = await service_layer.list_evaluations(selection.sessions, dossier_id)
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    if user.id in listing.conflicted:
        raise ApiError(
            403,
            "Conflit d'intérêts déclaré : les évaluations des autres ne vous sont pas "
            "montrées / You declared a conflict of interest: the others' evaluations are "
            "not shown to you.",
        )
    return EvaluationList(
        items=[
            _evaluation_public(evaluation, counted=evaluation.author not in listing.conflicted)
            for evaluation in listing.evaluations
        ],
        summary=_evaluation_summary(listing.totals),
    )


@router.post(
    "/dossiers/{dossier_id}/evaluations",
    status_code=status.HTTP_201_CREATED,
    summary="Score a dossier (one evaluation per evaluator)",
    tags=["evaluations"],
    responses={
        **NOT_FOUND_RESPONSE,
        409: {"model": ErrorResponse, "description": "Already evaluated by this evaluator"},
        422: ERROR_RESPONSES[422],
    },
)
async def create_evaluation(
    dossier_id: UUID, body: EvaluationCreate, selection: SelectionDep, user: EvaluatorDep
) -> EvaluationPublic:
    try:
        evaluation = await service_layer.record_evaluation(
            selection.sessions, dossier_id, user.id, body.scores, body.comment
        )
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    except service_layer.InvalidScorecard as error:
        raise _invalid_scorecard(error) from None
    except service_layer.ConflictOfInterest:
        raise _conflict_of_interest() from None
    except service_layer.AlreadyEvaluated:
        raise ApiError(
            409,
            "Vous avez déjà évalué ce dossier / You already evaluated this dossier.",
        ) from None
    metrics.EVALUATIONS.labels(operation="created").inc()
    return _evaluation_public(evaluation)


@router.put(
    "/evaluations/{evaluation_id}",
    summary="Change one's own evaluation (scores and comment); the summary follows",
    tags=["evaluations"],
    responses={
        403: {
            "model": ErrorResponse,
            "description": "Not the evaluation's author, or a conflict of interest declared",
        },
        404: {"model": ErrorResponse, "description": "Unknown evaluation"},
        422: ERROR_RESPONSES[422],
    },
)
async def update_evaluation(
    evaluation_id: Annotated[int, Path(ge=1, le=MAX_COLUMN_INT)],
    body: EvaluationCreate,
    selection: SelectionDep,
    user: EvaluatorDep,
) -> EvaluationPublic:
    try:
        evaluation = await service_layer.update_evaluation(
            selection.sessions, evaluation_id, user.id, body.scores, body.comment
        )
    except (service_layer.EvaluationUnknown, service_layer.DossierUnknown):
        raise ApiError(404, EVALUATION_NOT_FOUND) from None
    except service_layer.NotTheAuthor:
        raise ApiError(
            403,
            "Seul l'auteur d'une évaluation peut la modifier / "
            "Only the author of an evaluation may change it.",
        ) from None
    except service_layer.InvalidScorecard as error:
        raise _invalid_scorecard(error) from None
    except service_layer.ConflictOfInterest:
        raise _conflict_of_interest() from None
    metrics.EVALUATIONS.labels(operation="updated").inc()
    return _evaluation_public(evaluation)


@router.post(
    "/dossiers/{dossier_id}/conflicts-of-interest",
    status_code=status.HTTP_201_CREATED,
    summary="Declare a conflict of interest (the evaluator no longer scores the dossier)",
    tags=["evaluations"],
    responses={
        **NOT_FOUND_RESPONSE,
        200: {"model": ConflictPublic, "description": "Already declared"},
        422: ERROR_RESPONSES[422],
    },
)
async def declare_conflict(
    dossier_id: UUID,
    selection: SelectionDep,
    user: EvaluatorDep,
    response: Response,
    body: ConflictCreate | None = None,
) -> ConflictPublic:
    reason = body.reason if body is not None else ""
    try:
        declaration, created = await service_layer.declare_conflict(
            selection.sessions, dossier_id, user.id, reason
        )
    except service_layer.DossierUnknown:
        raise ApiError(404, NOT_FOUND) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return ConflictPublic.model_validate(declaration, from_attributes=True)
