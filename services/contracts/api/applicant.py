"""The EIG's side, behind their private link (``?token=``, the token of their dossier's link).

``GET /contracts/{id}`` is the offer page (HTML); ``POST /api/v1/contracts/{id}/accept`` and
``/decline`` record the answer, as JSON for API clients or, from the page's forms, by a
redirect back to the page (post/redirect/get). A wrong token, an unknown contract and an offer
not sent yet all get one identical 404, so the answer tells nothing about which contracts exist.
"""

import json
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError

from libs.api_errors import ApiError, ErrorResponse, FieldError, error_response, validation_errors
from libs.messages.contract_events import ContractStatus
from services.action_refusals import RETRY_AFTER_SECONDS
from services.contracts import service_layer
from services.contracts.api.access import applicant_view, document_path
from services.contracts.api.dependencies import (
    NOT_FOUND,
    ContractsDep,
    IdempotencyKey,
    update_id,
)
from services.contracts.api.outcomes import apply_action, conflict_response, refusal_error
from services.contracts.bootstrap import Contracts
from services.contracts.pages import (
    ANSWER_NOTICES,
    ANSWER_UNAVAILABLE_NOTICE,
    PRIVATE_PAGE_HEADERS,
    Notice,
    answer_failed_notice,
    answer_refused_notice,
    render_not_found_page,
    render_offer_page,
)
from services.contracts.schemas import ActionConflict, ApplicantAnswer
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowNotFound,
    WorkflowsUnavailable,
)
from workflows.contract.models import CONTRACT_ACTION_BODIES, ContractAction

APPLICANT_ACTOR = "applicant"
URLENCODED = "application/x-www-form-urlencoded"
FORM_CONTENT_TYPES = frozenset({URLENCODED, "multipart/form-data"})
ANSWERS: dict[ContractAction, ContractStatus] = {
    ContractAction.ACCEPT: ContractStatus.ACCEPTED,
    ContractAction.DECLINE: ContractStatus.DECLINED,
}
"""Each answer and the status it leads to."""

router = APIRouter(tags=["applicant"])

Token = Annotated[str | None, Query(description="Token from the EIG's private link")]
ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {"description": "From the offer page's form: back to the page"},
    400: {"model": ErrorResponse, "description": "The body is not JSON"},
    404: {
        "model": ErrorResponse,
        "description": "Unknown contract, wrong token, or an offer not sent yet",
    },
    409: {
        "model": ActionConflict,
        "description": "The offer no longer awaits an answer (with status and allowed_actions)",
    },
    422: {"model": ErrorResponse, "description": "Invalid or unexpected fields"},
    503: {"model": ErrorResponse, "description": "Temporal unreachable: retry after Retry-After"},
}


@router.get(
    "/contracts/{contract_id}",
    summary="The EIG's offer page (HTML, private link)",
    response_class=HTMLResponse,
    responses={404: {"content": {"text/html": {}}, "description": "Unknown contract or token"}},
)
async def offer_page(
    contract_id: str,
    request: Request,
    contracts: ContractsDep,
    token: Token = None,
    answer: Annotated[
        str | None, Query(max_length=32, description="Set by the redirect after an answer")
    ] = None,
) -> Response:
    view = await applicant_view(contracts, contract_id, token)
    if view is None:
        return _not_found(html=True)
    notice = ANSWER_NOTICES.get(ContractStatus(answer)) if answer in ANSWER_NOTICES else None
    # Once an answer is recorded, the forms would only offer it again while the view catches up.
    return _offer_page(request, view, token, notice=notice, with_forms=notice is None)


def _offer_page(
    request: Request,
    view: service_layer.ContractView,
    token: str | None,
    *,
    notice: Notice | None,
    with_forms: bool = True,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    query = f"?{urlencode({'token': token or ''})}"

    def answer_url(action: ContractAction) -> str | None:
        path = request.app.url_path_for(f"{action.value}_offer", contract_id=str(view.contract_id))
        return f"{path}{query}" if with_forms else None

    page = render_offer_page(
        view,
        html_url=document_path(view.contract_id, "html") + query,
        pdf_url=document_path(view.contract_id, "pdf") + query,
        accept_url=answer_url(ContractAction.ACCEPT),
        decline_url=answer_url(ContractAction.DECLINE),
        notice=notice,
    )
    return HTMLResponse(
        page, status_code=status_code, headers={**PRIVATE_PAGE_HEADERS, **(headers or {})}
    )


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
    from_form = _from_html_form(request)
    view = await applicant_view(contracts, contract_id, token)
    if view is None:
        return _not_found(html=from_form)
    try:
        payload = await _answer_payload(request, action, from_form)
    except ApiError as invalid:
        if from_form:
            notice = Notice(
                f"Réponse invalide : {invalid.detail}", f"Invalid answer: {invalid.detail}", True
            )
            return _offer_page(request, view, token, notice=notice, status_code=422)
        raise ApiError(
            invalid.status_code, invalid.detail, invalid.errors, headers=PRIVATE_PAGE_HEADERS
        ) from None
    try:
        result = await apply_action(
            contracts.contract_workflows,
            view.contract_id,
            action,
            payload,
            actor=APPLICANT_ACTOR,
            update_id=update_id(idempotency_key),
        )
    except ActionNotAllowed as refused:
        if not from_form:
            return conflict_response(refused, headers=PRIVATE_PAGE_HEADERS)
        if refused.status == ANSWERS[action]:
            # A browser's second click lands here once the first answered: same page as it got.
            return _back_to_offer_page(request, view.contract_id, token, ANSWERS[action])
        notice = answer_refused_notice(refused.status)
        return _offer_page(request, view, token, notice=notice, status_code=409)
    except (ActionRefused, InvalidActionBody) as refused:
        error = refusal_error(refused, headers=PRIVATE_PAGE_HEADERS)
        if not from_form:
            raise error from None
        return _offer_page(
            request,
            view,
            token,
            notice=answer_failed_notice(str(refused)),
            status_code=error.status_code,
        )
    except (UnknownAction, WorkflowNotFound):
        return _not_found(html=from_form)
    except WorkflowsUnavailable as unavailable:
        error = refusal_error(unavailable, headers=PRIVATE_PAGE_HEADERS)
        if not from_form:
            raise error from None
        return _offer_page(
            request,
            view,
            token,
            notice=ANSWER_UNAVAILABLE_NOTICE,
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if from_form:
        return _back_to_offer_page(request, view.contract_id, token, result.status)
    answer = ApplicantAnswer(
        contract_id=view.contract_id, status=result.status, allowed_actions=result.allowed_actions
    )
    return JSONResponse(answer.model_dump(mode="json"), headers=PRIVATE_PAGE_HEADERS)


async def _answer_payload(
    request: Request, action: ContractAction, from_form: bool
) -> dict[str, Any]:
    """The answer's body, checked against its model: the form's ``note`` field, or JSON (no
    body counts as ``{}``). Raises :class:`ApiError` 400/422 naming the fields at fault."""
    body = await request.body()
    model = CONTRACT_ACTION_BODIES[action]
    data: Any = {}
    if from_form:
        # Only the decline form has a note; the accept form posts nothing.
        if "note" in model.model_fields and _media_type(request) == URLENCODED:
            fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            data = {"note": fields.get("note", [""])[0].strip()}
    elif body.strip():
        try:
            data = json.loads(body)
        except ValueError as error:
            raise ApiError(
                400,
                "The request body is not valid JSON.",
                [FieldError(field="body", message=f"Malformed JSON: {error}", type="json_invalid")],
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


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _from_html_form(request: Request) -> bool:
    """A browser's form post: the page's forms send urlencoded bodies."""
    return _media_type(request) in FORM_CONTENT_TYPES


def _not_found(*, html: bool) -> Response:
    if html:
        return HTMLResponse(render_not_found_page(), status_code=404, headers=PRIVATE_PAGE_HEADERS)
    return error_response(404, NOT_FOUND, headers=PRIVATE_PAGE_HEADERS)
