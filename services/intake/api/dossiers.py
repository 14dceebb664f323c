"""Dossiers (``/api/v1/dossiers``), behind the applicant's private link (``?token=``).

Each link's token is for one purpose (:mod:`libs.dossier_links`): the read token opens the
status; the withdraw token opens it too, with the withdrawal offered, and is the only one that
withdraws, so a leaked read link cannot withdraw.

``GET /dossiers/{id}`` answers JSON, or the status page to browsers (content negotiation, see
:mod:`services.intake.pages.status`); ``POST /dossiers/{id}/withdraw`` answers JSON, or, from
the page's form, redirects back to the page (post/redirect/get). Unknown id, malformed id,
missing or wrong token: one identical 404, so the answer tells nothing about which dossiers
exist.
"""

import json
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from libs.api_errors import ApiError, ErrorResponse, FieldError, error_response
from libs.dossier_links import Purpose
from libs.messages.dossier_events import DossierStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS, Notice, check_private_action, not_found
from libs.web.negotiation import wants_html
from libs.web.pages import get_pages
from services.intake import metrics
from services.intake.api.dependencies import API_PREFIX, IntakeDep
from services.intake.bootstrap import Intake
from services.intake.pages.status import (
    MISSING_DOSSIER,
    WITHDRAWAL_RECORDED_NOTICE,
    WITHDRAWAL_UNAVAILABLE_NOTICE,
    status_page,
    withdrawal_failed_notice,
    withdrawal_refused_notice,
)
from services.intake.schemas import DossierStatusPublic, WithdrawalPublic
from services.intake.service_layer import WorkflowNotRunning, dossier_status, withdraw_dossier
from workflows.client_errors import ActionNotAllowed, ActionRefused, WorkflowsUnavailable

WITHDRAWAL_RECORDED: Final = "recorded"
WITHDRAWAL_RETRY_AFTER_SECONDS: Final = 10
NOT_FOUND_DETAIL: Final = "No dossier at this address. Check that you copied the whole link."

router = APIRouter(prefix=API_PREFIX, tags=["dossiers"])

Token = Annotated[str | None, Query(description="Token from the private link")]
READ_PURPOSES: Final = (Purpose.READ, Purpose.WITHDRAW)
"""The tokens that open the status (the withdraw link shows it, to confirm on its page)."""
WITHDRAW_PURPOSES: Final = (Purpose.WITHDRAW,)

WithdrawalRefusal = ActionNotAllowed | ActionRefused | WorkflowNotRunning | WorkflowsUnavailable


@router.get(
    "/dossiers/{dossier_id}",
    summary="A dossier's status and timeline (private link sent to the applicant)",
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
    token: Token = None,
    withdrawal: Annotated[
        str | None, Query(description="'recorded' after a withdrawal from the HTML form")
    ] = None,
) -> Response:
    html = wants_html(request)
    status = await _authorised_status(intake, dossier_id, token, READ_PURPOSES)
    if status is None:
        return not_found(request, MISSING_DOSSIER, NOT_FOUND_DETAIL, html=html)
    if not html:
        return JSONResponse(status.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)
    recorded = withdrawal == WITHDRAWAL_RECORDED
    # Only the withdraw link offers the withdrawal (the read link's token could not use it).
    # Once recorded, the form would only offer the same withdrawal again while the status view
    # catches up with the workflow.
    can_withdraw = not recorded and intake.link_keys.is_valid(
        Purpose.WITHDRAW, status.dossier_id, token
    )
    return await _status_page(
        request,
        intake,
        status,
        withdraw_url=_withdraw_url(request, status.dossier_id, token) if can_withdraw else None,
        notice=WITHDRAWAL_RECORDED_NOTICE if recorded else None,
    )


async def _authorised_status(
    intake: Intake, dossier_id: str, token: str | None, purposes: tuple[Purpose, ...]
) -> DossierStatusPublic | None:
    """The dossier's status if the link's token is one of ``purposes``; None for any other or
    wrong link or unknown dossier.

    The token is checked before the database is read.
    """
    parsed_id = _parse_uuid(dossier_id)
    if parsed_id is None or intake.link_keys.purpose_of(parsed_id, token, purposes) is None:
        return None
    return await dossier_status(intake.sessions, parsed_id)


@router.post(
    "/dossiers/{dossier_id}/withdraw",
    summary="Withdraw the dossier (its applicant, through the private link)",
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
    dossier_id: str, request: Request, intake: IntakeDep, token: Token = None
) -> Response:
    """No body (or ``{}``). Withdrawing twice is one withdrawal; a final dossier answers 409."""
    from_form = await check_private_action(request)  # before anything is read or changed
    status = await _authorised_status(intake, dossier_id, token, WITHDRAW_PURPOSES)
    if status is None:
        metrics.WITHDRAWALS.labels(outcome="not_found").inc()
        return not_found(request, MISSING_DOSSIER, NOT_FOUND_DETAIL, html=from_form)
    if not from_form:
        await _require_empty_body(request)
    try:
        result = await withdraw_dossier(
            intake.sessions, intake.dossier_workflows, status.dossier_id
        )
    except (ActionNotAllowed, ActionRefused, WorkflowNotRunning, WorkflowsUnavailable) as refusal:
        return await _withdrawal_not_done(
            request, intake, status, token, refusal, from_form=from_form
        )
    if from_form:
        return _back_to_status_page(request, status.dossier_id, token)
    public = WithdrawalPublic(
        dossier_id=status.dossier_id,
        status=result.status,
        allowed_actions=result.allowed_actions,
    )
    return JSONResponse(public.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


async def _withdrawal_not_done(
    request: Request,
    intake: Intake,
    status: DossierStatusPublic,
    token: str | None,
    refusal: WithdrawalRefusal,
    *,
    from_form: bool,
) -> Response:
    """The answer when the workflow did not withdraw: 409 (final, or refused) or 503 (nothing
    decided: try again), as the page with a notice for the form, as JSON otherwise."""
    if isinstance(refusal, ActionNotAllowed):
        if from_form and refusal.status == DossierStatus.WITHDRAWN:
            # A browser's second click lands here once the first withdrew: same page as it got.
            return _back_to_status_page(request, status.dossier_id, token)
        detail = (
            f"Ce dossier ne peut plus être retiré : son statut est « {refusal.status} ». "
            f"/ This dossier can no longer be withdrawn: its status is '{refusal.status}'."
        )
        field = FieldError(
            field="status", message=f"Current status: {refusal.status} (final)", type="final_status"
        )
        error = ApiError(409, detail, [field])
        notice = withdrawal_refused_notice(refusal.status)
        return await _refused(request, intake, status, notice, error, from_form)
    if isinstance(refusal, ActionRefused):
        detail = (
            f"Le retrait a été refusé : {refusal.reason} / The withdrawal was refused: "
            f"{refusal.reason}"
        )
        notice = withdrawal_failed_notice(refusal.reason)
        return await _refused(request, intake, status, notice, ApiError(409, detail), from_form)
    # Not started yet (the bridge starts it within seconds of the submission) or Temporal
    # down: either way nothing was decided and the same request will work shortly.
    headers = {**PRIVATE_PAGE_HEADERS, "Retry-After": str(WITHDRAWAL_RETRY_AFTER_SECONDS)}
    if from_form:
        return await _status_page(
            request,
            intake,
            status,
            withdraw_url=_withdraw_url(request, status.dossier_id, token),
            notice=WITHDRAWAL_UNAVAILABLE_NOTICE,
            status_code=503,
            headers=headers,
        )
    detail = (
        "Le retrait n'a pas pu être enregistré pour le moment : réessayez dans quelques "
        "instants. / The withdrawal could not be recorded right now: try again in a few moments."
    )
    return error_response(503, detail, headers=headers)


async def _refused(
    request: Request,
    intake: Intake,
    status: DossierStatusPublic,
    notice: Notice,
    error: ApiError,
    from_form: bool,
) -> Response:
    if from_form:
        return await _status_page(
            request,
            intake,
            status,
            notice=notice,
            status_code=error.status_code,
        )
    return error_response(
        error.status_code, error.detail, error.errors, headers=PRIVATE_PAGE_HEADERS
    )


async def _status_page(
    request: Request, intake: Intake, status: DossierStatusPublic, **options: Any
) -> Response:
    return await status_page(
        request, get_pages(request), intake.promotion_calendar, status, **options
    )


def _back_to_status_page(request: Request, dossier_id: UUID, token: str | None) -> Response:
    """303 (post/redirect/get) to the status page, which then says the withdrawal is recorded."""
    path = request.app.url_path_for("read_dossier_status", dossier_id=str(dossier_id))
    location = f"{path}?{urlencode({'token': token or '', 'withdrawal': WITHDRAWAL_RECORDED})}"
    return RedirectResponse(location, status_code=303, headers=PRIVATE_PAGE_HEADERS)


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


def _withdraw_url(request: Request, dossier_id: UUID, token: str | None) -> str:
    path = request.app.url_path_for("withdraw", dossier_id=str(dossier_id))
    return f"{path}?{urlencode({'token': token or ''})}"


def _parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
