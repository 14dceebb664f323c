"""The EIG's answer to an offer, behind their private link (``?token=``, their dossier's token).

``POST /api/v1/contracts/{id}/accept`` and ``/decline`` record the answer, as JSON for API
clients or, from the offer page's forms (:mod:`services.contracts.pages.offer`), by a redirect
back to the page (post/redirect/get). A wrong token, an unknown contract and an offer not sent
yet all get one identical 404, so the answer tells nothing about which contracts exist.
"""

import json
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from libs.api_errors import ApiError, ErrorResponse, FieldError, validation_errors
from libs.messages.contract_events import ContractStatus
from libs.private_pages import PRIVATE_PAGE_HEADERS, check_private_action, media_type
from libs.web.csrf import is_form_post
from services.action_refusals import REFUSALS, RETRY_AFTER_SECONDS
from services.contracts import service_layer
from services.contracts.api.dependencies import (
    ANSWER_PURPOSES,
    ContractsDep,
    IdempotencyKey,
    applicant_view,
    conflict_response,
    not_found,
    refusal_error,
    update_id,
)
from services.contracts.bootstrap import Contracts
from services.contracts.pages.offer import (
    ANSWER_UNAVAILABLE_NOTICE,
    answer_failed_notice,
    answer_refused_notice,
    invalid_answer_notice,
    offer_page_response,
)
from services.contracts.schemas import ActionConflict, ApplicantAnswer
from workflows.client_errors import ActionNotAllowed, UnknownAction, WorkflowNotFound
from workflows.contract.models import CONTRACT_ACTION_BODIES, ContractAction

APPLICANT_ACTOR: Final = "applicant"
JSON: Final = "application/json"
ANSWERS: Final[dict[ContractAction, ContractStatus]] = {
    ContractAction.ACCEPT: ContractStatus.ACCEPTED,
    ContractAction.DECLINE: ContractStatus.DECLINED,
}
"""Each answer and the status it leads to."""

router = APIRouter(tags=["applicant"])

Token = Annotated[str | None, Query(description="Token from the EIG's private link")]
ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "From the offer page's form: back to the page"},
    400: {"model": ErrorResponse, "description": "The body is not JSON"},
    403: {
        "model": ErrorResponse,
        "description": "A cross-site request, or a form post without the page's CSRF token",
    },
    404: {
        "model": ErrorResponse,
        "description": "Unknown contract, wrong token, or an offer not sent yet",
    },
    409: {
        "model": ActionConflict,
        "description": "The offer no longer awaits an answer (with status and allowed_actions)",
    },
    415: {"model": ErrorResponse, "description": "A body that is neither JSON nor a form"},
    422: {"model": ErrorResponse, "description": "Invalid or unexpected fields"},
    503: {"model": ErrorResponse, "description": "Temporal unreachable: retry after Retry-After"},
}


@router.post(
    "/api/v1/contracts/{contract_id}/accept",
    summary="Accept the offer (the EIG, through their private link)",
    response_model=ApplicantAnswer,
    responses=ANSWER_RESPONSES,
)
async def accept_offer(
    contract_id: str,
    request: Request,
    contracts: ContractsDep,
    token: Token = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """No body (or ``{}``). Accepting twice is one acceptance; an answered offer is a 409."""
    return await _answer(
        request, contracts, contract_id, token, ContractAction.ACCEPT, idempotency_key
    )


@router.post(
    "/api/v1/contracts/{contract_id}/decline",
    summary="Decline the offer (the EIG, through their private link)",
    response_model=ApplicantAnswer,
    responses=ANSWER_RESPONSES,
)
async def decline_offer(
    contract_id: str,
    request: Request,
    contracts: ContractsDep,
    token: Token = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """No body, ``{}`` or ``{"note": "why"}``. The seat goes back to the promotion and the
    candidate back to the talent pool."""
    return await _answer(
        request, contracts, contract_id, token, ContractAction.DECLINE, idempotency_key
    )


async def _answer(
    request: Request,
    contracts: Contracts,
    contract_id: str,
    token: str | None,
    action: ContractAction,
    idempotency_key: str | None,
) -> Response:
    from_form = await check_private_action(request)  # before anything is read or changed
    view = await applicant_view(contracts, contract_id, token, ANSWER_PURPOSES)
    if view is None:
        return not_found(request, html=from_form)
    try:
        payload = await _answer_payload(request, action)
    except ApiError as invalid:
        if from_form:
            notice = invalid_answer_notice(invalid.detail)
            return offer_page_response(request, view, token, notice=notice, status_code=422)
        raise ApiError(
            invalid.status_code, invalid.detail, invalid.errors, headers=PRIVATE_PAGE_HEADERS
        ) from None
    try:
        result = await service_layer.apply_action(
            contracts.contract_workflows,
            view.contract_id,
            action,
            payload,
            actor=APPLICANT_ACTOR,
            update_id=update_id(idempotency_key),
        )
    except REFUSALS as refusal:
        return _not_recorded(request, view, token, action, refusal, from_form=from_form)
    if from_form:
        return _back_to_offer_page(request, view.contract_id, token, result.status)
    answer = ApplicantAnswer(
        contract_id=view.contract_id, status=result.status, allowed_actions=result.allowed_actions
    )
    return JSONResponse(answer.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


def _not_recorded(
    request: Request,
    view: service_layer.ContractView,
    token: str | None,
    action: ContractAction,
    refusal: Exception,
    *,
    from_form: bool,
) -> Response:
    """The answer when the workflow did not record it: JSON as for staff, or the offer page
    with a notice saying why (the same status code)."""
    if isinstance(refusal, UnknownAction | WorkflowNotFound):
        return not_found(request, html=from_form)
    if isinstance(refusal, ActionNotAllowed):
        if not from_form:
            return conflict_response(refusal, headers=PRIVATE_PAGE_HEADERS)
        if refusal.status == ANSWERS[action]:
            # A browser's second click lands here once the first answered: same page as it got.
            return _back_to_offer_page(request, view.contract_id, token, ANSWERS[action])
        notice = answer_refused_notice(refusal.status)
        return offer_page_response(request, view, token, notice=notice, status_code=409)
    error = refusal_error(refusal, headers=PRIVATE_PAGE_HEADERS)
    if not from_form:
        return error.response()
    if error.status_code == 503:
        return offer_page_response(
            request,
            view,
            token,
            notice=ANSWER_UNAVAILABLE_NOTICE,
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    notice = answer_failed_notice(str(refusal))
    return offer_page_response(request, view, token, notice=notice, status_code=error.status_code)


async def _answer_payload(request: Request, action: ContractAction) -> dict[str, Any]:
    """The answer's body, checked against its model: the decline form's ``note`` field
    (urlencoded or multipart), or JSON (no body counts as ``{}``). Raises :class:`ApiError`
    400/422 naming the fields at fault."""
    model = CONTRACT_ACTION_BODIES[action]
    data: Any = {}
    if is_form_post(request):
        # The form's fields besides the CSRF token; only the decline form has one (note).
        form = await request.form()
        if "note" in model.model_fields:
            note = form.get("note", "")
            if not isinstance(note, str):
                raise ApiError(
                    422,
                    "The note is text, not a file.",
                    [FieldError(field="note", message="Type the reason", type="string_type")],
                )
            data = {"note": note.strip()}
    else:
        body = await request.body()
        if body.strip():
            if media_type(request) not in ("", JSON):
                raise ApiError(
                    415,
                    "Send the answer as JSON (or from the offer page's form).",
                    [
                        FieldError(
                            field="Content-Type",
                            message=f"Expected {JSON}, got {media_type(request)[:100]}",
                            type="unsupported_media_type",
                        )
                    ],
                )
            try:
                data = json.loads(body)
            except ValueError as error:
                raise ApiError(
                    400,
                    "The request body is not valid JSON.",
                    [
                        FieldError(
                            field="body", message=f"Malformed JSON: {error}", type="json_invalid"
                        )
                    ],
                ) from None
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as invalid:
        status_code, detail, errors = validation_errors(invalid.errors())
        raise ApiError(status_code, detail, errors) from None


def _back_to_offer_page(
    request: Request, contract_id: UUID, token: str | None, status: ContractStatus
) -> Response:
    """303 (post/redirect/get) to the offer page, which then says the answer is recorded."""
    path = request.app.url_path_for("offer_page", contract_id=str(contract_id))
    location = f"{path}?{urlencode({'token': token or '', 'answer': status.value})}"
    return RedirectResponse(location, status_code=303, headers=PRIVATE_PAGE_HEADERS)
