"""HTTP entrypoints: translate requests to use cases and results to responses, nothing more."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse, FieldError, error_response
from libs.dossier_links import is_valid_token, status_url
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
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
)
from services.intake.service_layer import submit_application
from services.intake.status_page import render_not_found_page, render_status_page
from services.intake.views import dossier_status

API_PREFIX = "/api/v1"
CANDIDATES_PATH = f"{API_PREFIX}/applications/candidates"
PROJECTS_PATH = f"{API_PREFIX}/applications/projects"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# The status link carries its token in the URL: keep it out of caches and Referer headers.
PRIVATE_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
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
) -> Response:
    # Unknown id, malformed id, missing or wrong token: one identical 404, so the answer tells
    # nothing about which dossiers exist. The token is checked before the database is read.
    html = prefers_html(request.headers.get("accept"))
    parsed_id = _parse_uuid(dossier_id)
    if parsed_id is None or not is_valid_token(intake.link_secret, parsed_id, token):
        return _not_found(html)
    status = await dossier_status(intake.sessions, parsed_id)
    if status is None:
        return _not_found(html)
    if html:
        return HTMLResponse(render_status_page(status), headers=PRIVATE_PAGE_HEADERS)
    return JSONResponse(status.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


def _parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _not_found(html: bool) -> Response:
    if html:
        return HTMLResponse(render_not_found_page(), status_code=404, headers=PRIVATE_PAGE_HEADERS)
    return error_response(404, NOT_FOUND_DETAIL, headers=PRIVATE_PAGE_HEADERS)


def prefers_html(accept: str | None) -> bool:
    """True when the Accept header ranks text/html above application/json (browsers do)."""
    if not accept:
        return False
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return _quality(ranges, "text/html") > _quality(ranges, "application/json")


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1)."""
    family = media_type.split("/", 1)[0]
    specificity_of = {media_type: 2, f"{family}/*": 1, "*/*": 0}
    best_specificity, best_quality = -1, 0.0
    for media_range, quality in ranges:
        specificity = specificity_of.get(media_range, -1)
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, quality
    return best_quality


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
