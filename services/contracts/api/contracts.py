"""Contract endpoints (``/api/v1/contracts``): list, detail, documents, staff actions.

Handlers only translate: the read model through the service layer, actions and the
authoritative state through the :class:`ContractWorkflows` port. Documents are open to staff
(bearer token) and to the EIG through their private link (``?token=`` of their dossier).

Contracts carry pay and the EIG's contact details: only the programme team (staff, admins)
reads them; evaluators and the jury get 403 (least privilege).
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from libs.api_errors import ERROR_RESPONSES, ApiError, ErrorResponse
from libs.api_params import Limit, Offset, PromotionFilter
from libs.auth import (
    AUTH_RESPONSES,
    AdminDep,
    AnyStaffDep,
    StaffDep,
    StaffRole,
    StaffUser,
    require_roles,
)
from libs.messages.contract_events import ContractStatus, ContractTerms
from libs.private_pages import PRIVATE_PAGE_HEADERS, private_page
from services.action_refusals import REFUSALS
from services.contracts import service_layer
from services.contracts.api.dependencies import (
    NOT_FOUND,
    NOT_FOUND_RESPONSE,
    UNAVAILABLE_RESPONSE,
    ContractsDep,
    IdempotencyKey,
    applicant_view,
    document_path,
    not_found,
    refusal_error,
    update_id,
)
from services.contracts.bootstrap import Contracts
from services.contracts.documents import contract_document, render_html, render_pdf
from services.contracts.models import ContractRecord
from services.contracts.schemas import (
    ActionConflict,
    ActionOutcome,
    ContractDetail,
    ContractPage,
    ContractSummary,
    DocumentLinks,
)
from workflows.contract.models import CONTRACT_ACTION_BODIES, ContractAction, ContractActionBody

STAFF_ACTIONS: dict[ContractAction, tuple[str, Any]] = {
    ContractAction.SET_START_DATE: ("/contracts/{contract_id}/actions/set_start_date", StaffDep),
    ContractAction.SEND_OFFER: ("/contracts/{contract_id}/actions/send_offer", StaffDep),
    ContractAction.COUNTERSIGN: ("/contracts/{contract_id}/actions/countersign", AdminDep),
    ContractAction.DECIDE_RENEWAL: ("/contracts/{contract_id}/actions/decide_renewal", StaffDep),
}
"""Each staff action, its route and who may take it (admins may take all). ``accept`` and
``decline`` are the EIG's, through their private link: staff get 403 for them."""
APPLICANT_ACTIONS = frozenset({ContractAction.ACCEPT, ContractAction.DECLINE})
ACTION_DESCRIPTIONS: dict[ContractAction, str] = {
    ContractAction.SET_START_DATE: "In `drafted` only: the first day of the contract (a future "
    "working day); the end date follows from the term.",
    ContractAction.SEND_OFFER: "`drafted` → `offer_sent`: the EIG receives the offer by e-mail "
    "with their private link to accept or decline it before it lapses.",
    ContractAction.COUNTERSIGN: "`accepted` → `signed`: DINUM countersigns; the host "
    "administration's contact receives the mission letter.",
    ContractAction.DECIDE_RENEWAL: "`signed`, `active` or `renewal_due`, once per term: "
    "`renew: true` → `renewed` (a new term and version follow, band recomputed from "
    "experience); `renew: false`: the status stays and the contract ends at the end date.",
}

router = APIRouter(prefix="/api/v1", tags=["contracts"], responses=AUTH_RESPONSES)


def _summary(record: ContractRecord) -> ContractSummary:
    return ContractSummary(
        contract_id=record.contract_id,
        dossier_id=record.dossier_id,
        contract_number=record.contract_number,
        version=record.version,
        status=ContractStatus(record.status),
        promotion_number=record.promotion_number,
        band=record.band,
        monthly_net_eur=ContractTerms.model_validate(record.terms).monthly_net_eur,
        eig_name=record.eig_name,
        host_administration=record.host_administration,
        project_title=record.project_title,
        start_on=record.start_on,
        end_on=record.end_on,
        offer_expires_at=record.offer_expires_at,
        updated_at=record.updated_at,
    )


@router.get("/contracts", summary="List contracts (read model)")
async def list_contracts(
    contracts: ContractsDep,
    _user: StaffDep,
    dossier_id: Annotated[UUID | None, Query(description="The candidate's dossier")] = None,
    status: ContractStatus | None = None,
    promotion: PromotionFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ContractPage:
    filters = service_layer.ContractFilters(
        dossier_id=dossier_id, status=status, promotion_number=promotion
    )
    rows, total = await service_layer.list_contracts(
        contracts.sessions, filters, limit=limit, offset=offset
    )
    return ContractPage(items=[_summary(row) for row in rows], total=total)


@router.get(
    "/contracts/{contract_id}",
    summary="One contract: terms, status, timeline, allowed actions",
    responses=NOT_FOUND_RESPONSE,
)
async def get_contract(
    contract_id: UUID, contracts: ContractsDep, _user: StaffDep
) -> ContractDetail:
    view = await service_layer.contract_view(
        contracts.sessions, contracts.contract_workflows, contract_id
    )
    if view is None:
        raise ApiError(404, NOT_FOUND)
    return ContractDetail(
        contract_id=view.contract_id,
        dossier_id=view.dossier_id,
        status=view.status,
        terms=view.terms,
        next_terms=view.next_terms,
        renewal_decision=view.renewal_decision,
        offer_expires_at=view.offer_expires_at,
        eig_email=view.eig_email,
        updated_at=view.updated_at,
        timeline=view.timeline,
        allowed_actions=view.allowed_actions,
        state_source=view.state_source,
        documents=DocumentLinks(
            html=document_path(contract_id, "html"), pdf=document_path(contract_id, "pdf")
        ),
    )


# --- Documents -----------------------------------------------------------------------------

DOCUMENT_TOKEN = Annotated[
    str | None,
    Query(
        description="The EIG's private-link token (of their dossier); staff send a bearer "
        "token instead"
    ),
]
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Neither a private-link token nor a bearer"},
    404: {
        "model": ErrorResponse,
        "description": "Unknown contract, wrong private-link token, or an offer not sent yet",
    },
}


async def _document_view(
    request: Request, contracts: Contracts, contract_id: str, token: str | None
) -> service_layer.ContractView | None:
    """The contract if the caller may read it; None (→ 404) for a wrong link or unknown id.

    With ``token``, the EIG (see :func:`applicant_view`); without, staff: 401/403 as on every
    staff route, before anything is looked up.
    """
    if token is not None:
        return await applicant_view(contracts, contract_id, token)
    await require_roles(StaffRole.STAFF)(request)
    try:
        parsed = UUID(contract_id)
    except ValueError:
        return None
    return await service_layer.contract_view(
        contracts.sessions, contracts.contract_workflows, parsed
    )


@router.get(
    "/contracts/{contract_id}/document.html",
    summary="The contract as HTML (French, then English)",
    response_class=HTMLResponse,
    responses=DOCUMENT_RESPONSES,
    tags=["documents"],
)
async def contract_html(
    contract_id: str, request: Request, contracts: ContractsDep, token: DOCUMENT_TOKEN = None
) -> Response:
    view = await _document_view(request, contracts, contract_id, token)
    if view is None:
        return not_found(request, html=True)
    return private_page(render_html(contract_document(view.terms, view.status)))


@router.get(
    "/contracts/{contract_id}/document.pdf",
    summary="The contract as PDF (French, then English)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **DOCUMENT_RESPONSES},
    tags=["documents"],
)
async def contract_pdf(
    contract_id: str, request: Request, contracts: ContractsDep, token: DOCUMENT_TOKEN = None
) -> Response:
    view = await _document_view(request, contracts, contract_id, token)
    if view is None:
        raise ApiError(404, NOT_FOUND, headers=PRIVATE_PAGE_HEADERS)
    document = contract_document(view.terms, view.status)
    filename = f"{document.contract_number}-v{document.version}.pdf"
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={**PRIVATE_PAGE_HEADERS, "Content-Disposition": f'inline; filename="{filename}"'},
    )


# --- Staff actions -------------------------------------------------------------------------

ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND_RESPONSE,
    409: {
        "model": ActionConflict,
        "description": "Not allowed in the contract's status (with status and allowed_actions), "
        "or refused by the workflow",
    },
    422: ERROR_RESPONSES[422],
    **UNAVAILABLE_RESPONSE,
}


async def _staff_action(
    contracts: Contracts,
    contract_id: UUID,
    action: ContractAction,
    body: ContractActionBody,
    user: StaffUser,
    idempotency_key: str | None,
) -> ActionOutcome:
    try:
        result = await service_layer.apply_action(
            contracts.contract_workflows,
            contract_id,
            action,
            body.model_dump(mode="json"),
            actor=user.id,
            actor_name=user.name,
            update_id=update_id(idempotency_key),
        )
    except REFUSALS as error:
        raise refusal_error(error) from None
    return ActionOutcome(status=result.status, allowed_actions=result.allowed_actions)


def _action_route(action: ContractAction, path: str, role: Any) -> None:
    body_model = CONTRACT_ACTION_BODIES[action]
    assert path.endswith(f"/actions/{action.value}"), path

    async def endpoint(
        contract_id: UUID,
        body: body_model,  # type: ignore[valid-type]
        contracts: ContractsDep,
        user: role,
        idempotency_key: IdempotencyKey = None,
    ) -> ActionOutcome:
        return await _staff_action(contracts, contract_id, action, body, user, idempotency_key)

    endpoint.__name__ = f"action_{action.value}"
    who = "admin (for DINUM)" if role is AdminDep else "staff"
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        response_model=ActionOutcome,
        summary=f"{action.value.replace('_', ' ').capitalize()} ({who})",
        description=ACTION_DESCRIPTIONS[action],
        tags=["actions"],
        responses=ACTION_RESPONSES,
    )


for _action, (_path, _role) in STAFF_ACTIONS.items():
    _action_route(_action, _path, _role)


@router.post("/contracts/{contract_id}/actions/{action}", include_in_schema=False, status_code=404)
async def other_action(
    _contract_id: Annotated[UUID, Path(alias="contract_id")], action: str, _user: AnyStaffDep
) -> None:
    """``accept``/``decline`` are the EIG's (403 for staff); any other name is unknown (404)."""
    if action in APPLICANT_ACTIONS:
        raise ApiError(
            403,
            f"« {action} » est la réponse de l'EIG, par son lien personnel / '{action}' is the "
            f"EIG's answer, through their private link (POST /api/v1/contracts/{{id}}/{action}"
            "?token=…).",
        )
    known = ", ".join(action.value for action in STAFF_ACTIONS)
    raise ApiError(404, f"Action inconnue / Unknown action: {action}. Staff actions: {known}.")
