"""HTTP entrypoints: translate requests to use cases and results to responses, nothing more."""

import json
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError, error_response
from libs.dossier_links import is_valid_token, status_url
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS
from libs.web.negotiation import prefers_html
from services.intake import metrics
from services.intake.bootstrap import Intake
from services.intake.domain import AcceptedApplication, ApplicationForm, IdempotencyKeyReused
from services.intake.schemas import (
    CANDIDATE_EXAMPLE,
    PROJECT_EXAMPLE,
    ApplicationAcceptedPublic,
    CandidateApplicationCreate,
    DossierStatusPublic,
    ProjectApplicationCreate,
    WithdrawalPublic,
)
from services.intake.service_layer import (
    WorkflowNotRunning,
    submit_application,
    withdraw_dossier,
)
from services.intake.status_page import (
    WITHDRAWAL_RECORDED_NOTICE,
    WITHDRAWAL_UNAVAILABLE_NOTICE,
    Notice,
    render_not_found_page,
    render_status_page,
    withdrawal_failed_notice,
    withdrawal_refused_notice,
)
from services.intake.views import dossier_status
from workflows.client_errors import ActionNotAllowed, ActionRefused, WorkflowsUnavailable

API_PREFIX = "/api/v1"
CANDIDATES_PATH = f"{API_PREFIX}/applications/candidates"
PROJECTS_PATH = f"{API_PREFIX}/applications/projects"
IDEMPOTENCY_HEADER = "Idempotency-Key"

WITHDRAWAL_RECORDED = "recorded"
WITHDRAWAL_RETRY_AFTER_SECONDS = 10
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
NOT_FOUND_DETAIL = "No dossier at this address. Check that you copied the whole link."


def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (e.g. a UUID): a retry with the same key and body gets "
        "the first answer again instead of creating a second dossier",
    ),
]


def require_json_body(request: Request) -> None:
    """415 for anything but a JSON body, before field validation would report it as 422."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    received = media_type[:100] or "no Content-Type"
    raise ApiError(
        415,
        "The request body must be JSON, sent with Content-Type: application/json.",
        [
            FieldError(
                field="Content-Type",
                message=f"Expected application/json, got {received}",
                type="unsupported_media_type",
            )
        ],
    )


router = APIRouter(prefix=API_PREFIX, tags=["applications"])

SUBMISSION_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    409: {"model": ErrorResponse, "description": "Idempotency-Key reused with another body"},
}


@router.post(
    "/applications/candidates",
    status_code=202,
    summary="Apply as a candidate (product or technical director)",
    responses=SUBMISSION_RESPONSES,
    dependencies=[Depends(require_json_body)],
)
async def submit_candidate_application(
    application: Annotated[
        CandidateApplicationCreate,
        Body(
            openapi_examples={
                "technical_director": {
                    "summary": "Candidature de directrice technique",
                    "value": CANDIDATE_EXAMPLE,
                }
            }
        ),
    ],
    intake: IntakeDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAcceptedPublic:
    return await _submit(intake, application.form(), idempotency_key, response)


@router.post(
    "/applications/projects",
    status_code=202,
    summary="Submit an administration's project",
    responses=SUBMISSION_RESPONSES,
    dependencies=[Depends(require_json_body)],
)
async def submit_project_application(
    application: Annotated[
        ProjectApplicationCreate,
        Body(
            openapi_examples={
                "central_administration": {
                    "summary": "Projet d'une administration centrale",
                    "value": PROJECT_EXAMPLE,
                }
            }
        ),
    ],
    intake: IntakeDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAcceptedPublic:
    return await _submit(intake, application.form(), idempotency_key, response)


async def _submit(
    intake: Intake, form: ApplicationForm, idempotency_key: str | None, response: Response
) -> ApplicationAcceptedPublic:
    try:
        accepted = await submit_application(
            intake.sessions,
            form,
            idempotency_key=idempotency_key,
            on_committed=intake.outbox_signal.notify,
        )
    except IdempotencyKeyReused:
        raise ApiError(
            409,
            f"This {IDEMPOTENCY_HEADER} was already used for a different request.",
            [
                FieldError(
                    field=IDEMPOTENCY_HEADER,
                    message="Use a new key for a new application; reuse a key only to retry "
                    "the very same request",
                    type="idempotency_key_reused",
                )
            ],
        ) from None
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _accepted_public(intake, accepted)


def _accepted_public(intake: Intake, accepted: AcceptedApplication) -> ApplicationAcceptedPublic:
    return ApplicationAcceptedPublic(
        dossier_id=accepted.dossier_id,
        kind=accepted.kind,
        status=DossierStatus.RECEIVED,
        status_url=status_url(
            intake.settings.PUBLIC_INTAKE_URL, intake.link_secret, accepted.dossier_id
        ),
    )


@router.get(
    "/dossiers/{dossier_id}",
    summary="A dossier's status and timeline (private link sent to the applicant)",
    tags=["dossiers"],
    response_model=DossierStatusPublic,
    responses={
        200: {"content": {"text/html": {}}, "description": "JSON, or HTML if preferred"},
        404: {"model": ErrorResponse, "description": "Unknown dossier or wrong token"},
    },
)
async def read_dossier_status(
    dossier_id: str,
    request: Request,
    intake: IntakeDep,
    token: Annotated[str | None, Query(description="Token from the private link")] = None,
    withdrawal: Annotated[
        str | None, Query(description="'recorded' after a withdrawal from the HTML form")
    ] = None,
) -> Response:
    # Unknown id, malformed id, missing or wrong token: one identical 404, so the answer tells
    # nothing about which dossiers exist.
    html = prefers_html(request.headers.get("accept"))
    status = await _authorised_status(intake, dossier_id, token)
    if status is None:
        return _not_found(html)
    if html:
        recorded = withdrawal == WITHDRAWAL_RECORDED
        page = render_status_page(
            status,
            # Once recorded, the form would only offer the same withdrawal again while the
            # status view catches up with the workflow.
            withdraw_url=None if recorded else _withdraw_url(request, status.dossier_id, token),
            notice=WITHDRAWAL_RECORDED_NOTICE if recorded else None,
        )
        return HTMLResponse(page, headers=PRIVATE_PAGE_HEADERS)
    return JSONResponse(status.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


async def _authorised_status(
    intake: Intake, dossier_id: str, token: str | None
) -> DossierStatusPublic | None:
    """The dossier's status if the link is right; None for any wrong link or unknown dossier.

    The token is checked before the database is read.
    """
    parsed_id = _parse_uuid(dossier_id)
    if parsed_id is None or not is_valid_token(intake.link_secret, parsed_id, token):
        return None
    return await dossier_status(intake.sessions, parsed_id)


@router.post(
    "/dossiers/{dossier_id}/withdraw",
    summary="Withdraw the dossier (its applicant, through the private link)",
    tags=["dossiers"],
    response_model=WithdrawalPublic,
    responses={
        303: {"description": "From the HTML form: back to the status page"},
        404: {"model": ErrorResponse, "description": "Unknown dossier or wrong token"},
        409: {"model": ErrorResponse, "description": "The dossier is already in a final status"},
        422: {"model": ErrorResponse, "description": "A body other than {} was sent"},
        503: {
            "model": ErrorResponse,
            "description": "The dossier cannot be reached right now (Temporal unavailable, or "
            "its workflow not started yet just after submission): retry after Retry-After",
        },
    },
)
async def withdraw(
    dossier_id: str,
    request: Request,
    intake: IntakeDep,
    token: Annotated[str | None, Query(description="Token from the private link")] = None,
) -> Response:
    """No body (or ``{}``). Withdrawing twice is one withdrawal; a final dossier answers 409."""
    from_form = _from_html_form(request)
    status = await _authorised_status(intake, dossier_id, token)
    if status is None:
        metrics.WITHDRAWALS.labels(outcome="not_found").inc()
        return _not_found(from_form)
    if not from_form:
        await _require_empty_body(request)
    try:
        result = await withdraw_dossier(
            intake.sessions, intake.dossier_workflows, status.dossier_id
        )
    except ActionNotAllowed as refused:
        if from_form and refused.status == DossierStatus.WITHDRAWN:
            # A browser's second click lands here once the first withdrew: same page as it got.
            return _back_to_status_page(request, status.dossier_id, token)
        detail = (
            f"Ce dossier ne peut plus être retiré : son statut est « {refused.status} ». "
            f"/ This dossier can no longer be withdrawn: its status is '{refused.status}'."
        )
        return _withdrawal_refused(
            request,
            status,
            withdrawal_refused_notice(refused.status),
            ApiError(
                409,
                detail,
                [
                    FieldError(
                        field="status",
                        message=f"Current status: {refused.status} (final)",
                        type="final_status",
                    )
                ],
            ),
        )
    except ActionRefused as refused:
        detail = (
            f"Le retrait a été refusé : {refused.reason} / The withdrawal was refused: "
            f"{refused.reason}"
        )
        return _withdrawal_refused(
            request, status, withdrawal_failed_notice(refused.reason), ApiError(409, detail)
        )
    except (WorkflowNotRunning, WorkflowsUnavailable):
        # Not started yet (the bridge starts it within seconds of the submission) or Temporal
        # down: either way nothing was decided and the same request will work shortly.
        return _withdrawal_unavailable(request, status, token)
    if from_form:
        return _back_to_status_page(request, status.dossier_id, token)
    public = WithdrawalPublic(
        dossier_id=status.dossier_id,
        status=result.status,
        allowed_actions=result.allowed_actions,
    )
    return JSONResponse(public.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


def _back_to_status_page(request: Request, dossier_id: UUID, token: str | None) -> Response:
    """303 (post/redirect/get) to the status page, which then says the withdrawal is recorded."""
    path = request.app.url_path_for("read_dossier_status", dossier_id=str(dossier_id))
    location = f"{path}?{urlencode({'token': token or '', 'withdrawal': WITHDRAWAL_RECORDED})}"
    return RedirectResponse(location, status_code=303, headers=PRIVATE_PAGE_HEADERS)


def _from_html_form(request: Request) -> bool:
    """A browser's form post (urlencoded or multipart body, or an Accept preferring HTML)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in FORM_CONTENT_TYPES or prefers_html(request.headers.get("accept"))


async def _require_empty_body(request: Request) -> None:
    """The withdrawal carries nothing: accept no body or an empty JSON object, refuse the rest."""
    body = await request.body()
    if not body.strip():
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        raise ApiError(
            400,
            "The request body is not valid JSON.",
            [FieldError(field="body", message="Send no body, or {}", type="json_invalid")],
        ) from None
    if parsed == {}:
        return
    fields = sorted(parsed) if isinstance(parsed, dict) else ["body"]
    raise ApiError(
        422,
        "A withdrawal takes no fields: send no body, or {}.",
        [
            FieldError(field=name, message="Extra inputs are not permitted", type="extra_forbidden")
            for name in fields
        ],
    )


def _withdrawal_refused(
    request: Request, status: DossierStatusPublic, notice: Notice, error: ApiError
) -> Response:
    if _from_html_form(request):
        page = render_status_page(status, notice=notice)
        return HTMLResponse(page, status_code=error.status_code, headers=PRIVATE_PAGE_HEADERS)
    return error_response(
        error.status_code, error.detail, error.errors, headers=PRIVATE_PAGE_HEADERS
    )


def _withdrawal_unavailable(
    request: Request, status: DossierStatusPublic, token: str | None
) -> Response:
    headers = {**PRIVATE_PAGE_HEADERS, "Retry-After": str(WITHDRAWAL_RETRY_AFTER_SECONDS)}
    if _from_html_form(request):
        page = render_status_page(
            status,
            withdraw_url=_withdraw_url(request, status.dossier_id, token),
            notice=WITHDRAWAL_UNAVAILABLE_NOTICE,
        )
        return HTMLResponse(page, status_code=503, headers=headers)
    detail = (
        "Le retrait n'a pas pu être enregistré pour le moment : réessayez dans quelques "
        "instants. / The withdrawal could not be recorded right now: try again in a few moments."
    )
    return error_response(503, detail, headers=headers)


def _withdraw_url(request: Request, dossier_id: UUID, token: str | None) -> str:
    path = request.app.url_path_for("withdraw", dossier_id=str(dossier_id))
    return f"{path}?{urlencode({'token': token or ''})}"


def _parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _not_found(html: bool) -> Response:
    if html:
        return HTMLResponse(render_not_found_page(), status_code=404, headers=PRIVATE_PAGE_HEADERS)
    return error_response(404, NOT_FOUND_DETAIL, headers=PRIVATE_PAGE_HEADERS)


class CountRejectedApplications:
    """Counts application requests answered with a 4xx, whichever layer refused them."""

    KINDS = {CANDIDATES_PATH: DossierKind.CANDIDATE, PROJECTS_PATH: DossierKind.PROJECT}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.KINDS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                metrics.APPLICATIONS_REJECTED.labels(
                    kind=kind.value, status_code=str(message["status"])
                ).inc()
            await send(message)

        await self.app(scope, receive, counting_send)
