"""Applications (``/api/v1/applications``): the candidate and project forms' API."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError
from libs.messages.applications import ProjectApplication
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.intake import metrics
from services.intake.api.dependencies import API_PREFIX, IntakeDep
from services.intake.bootstrap import Intake
from services.intake.domain import AcceptedApplication, ApplicationForm, IdempotencyKeyReused
from services.intake.rate_limits import LimitedBy, RateLimited
from services.intake.schemas import (
    CANDIDATE_EXAMPLE,
    PROJECT_EXAMPLE,
    ApplicationAcceptedPublic,
    CandidateApplicationCreate,
    ProjectApplicationCreate,
)
from services.intake.service_layer import submit_application

CANDIDATES_PATH = f"{API_PREFIX}/applications/candidates"
PROJECTS_PATH = f"{API_PREFIX}/applications/projects"
IDEMPOTENCY_HEADER = "Idempotency-Key"


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
    429: {
        "model": ErrorResponse,
        "description": "Too many applications from this client address or for this e-mail "
        "address (the field says which): retry after Retry-After seconds",
    },
}


SUBMISSION_DESCRIPTION = (
    "The application is stored unconfirmed: an e-mail to its contact's address carries the "
    "confirmation link (``/confirmer/{dossier_id}?token=…``, a page whose button confirms). "
    "Once confirmed, the dossier starts (its workflow, its review) and a second e-mail gives "
    "the private link to its status page; the answer below never carries a private link. "
    "Unconfirmed by ``confirm_by``, the application is deleted (docs/adr/0024)."
)


@router.post(
    "/applications/candidates",
    status_code=202,
    summary="Apply as a candidate (product or technical director)",
    description=SUBMISSION_DESCRIPTION,
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
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAcceptedPublic:
    return await _submit(intake, request, application.form(), idempotency_key, response)


@router.post(
    "/applications/projects",
    status_code=202,
    summary="Submit an administration's project",
    description=SUBMISSION_DESCRIPTION,
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
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAcceptedPublic:
    return await _submit(intake, request, application.form(), idempotency_key, response)


async def check_rate_limits(intake: Intake, request: Request, form: ApplicationForm) -> None:
    """429 with Retry-After when the client address or the e-mail address sent too many
    applications (shared by the API and the forms, which submit through the same layer)."""
    if intake.rate_limiter is None:
        return
    client_address = request.client.host if request.client else None
    try:
        await intake.rate_limiter.check(client_address, form.contact.email, datetime.now(UTC))
    except RateLimited as refusal:
        raise rate_limited_error(refusal, form) from None


def rate_limited_error(refusal: RateLimited, form: ApplicationForm) -> ApiError:
    headers = {"Retry-After": str(refusal.retry_after_seconds)}
    if refusal.limited_by == LimitedBy.CLIENT_ADDRESS:
        detail = (
            "Trop de candidatures envoyées depuis cette adresse : réessayez plus tard. "
            "/ Too many applications from this address: try again later."
        )
        field = "client_address"
    else:
        detail = (
            "Trop de candidatures pour cette adresse e-mail : réessayez plus tard. "
            "/ Too many applications for this e-mail address: try again later."
        )
        field = "contact_email" if isinstance(form, ProjectApplication) else "email"
    message = f"Rate limit reached: retry after {refusal.retry_after_seconds} seconds"
    return ApiError(
        429, detail, [FieldError(field=field, message=message, type="rate_limited")], headers
    )


async def _submit(
    intake: Intake,
    request: Request,
    form: ApplicationForm,
    idempotency_key: str | None,
    response: Response,
) -> ApplicationAcceptedPublic:
    await check_rate_limits(intake, request, form)
    try:
        accepted = await submit_application(
            intake.sessions,
            form,
            idempotency_key=idempotency_key,
            on_committed=intake.outbox_signal.notify,
            confirmation_delay=intake.settings.confirmation_delay,
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
    return _accepted_public(accepted)


def _accepted_public(accepted: AcceptedApplication) -> ApplicationAcceptedPublic:
    return ApplicationAcceptedPublic(
        dossier_id=accepted.dossier_id,
        kind=accepted.kind,
        status=DossierStatus.RECEIVED,
        confirm_by=accepted.confirm_by,
    )


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
