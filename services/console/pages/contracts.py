"""``/console/contracts`` (contracts by status, the pay report) and ``/console/contracts/{id}``
(terms, timeline, the HTML and PDF documents, one form per staff action the contract allows:
start date, send the offer, countersign for admins, renewal decision). Everything goes through
the contracts staff API with the user's token: evaluators and the jury get its 403."""

from typing import Literal
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from libs.auth import StaffRole
from libs.messages.contract_events import ContractStatus
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.action_forms import (
    CONTRACT_ACTION_LABELS,
    contract_action_form,
    role_for,
)
from services.console.pages.dependencies import (
    ConsoleDep,
    SessionDep,
    answer_form_post,
    posted_form,
)
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused
from workflows.contract.models import ContractAction

router = pages_router()

LIST_PATH = "/console/contracts"
PAY_REPORT_PATH = LIST_PATH + "/rapport-paie"


@router.get(LIST_PATH, name="contracts")
async def contracts(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    raw_status = request.query_params.get("status", "").strip()
    raw_page = request.query_params.get("page", "1").strip()
    try:
        status = ContractStatus(raw_status) if raw_status else None
        page = int(raw_page)
    except ValueError:
        status, page = None, 0
    if page < 1:
        raise ApiRefused(422, "Filtre invalide / Invalid filter: status, page.")
    listing = await service_layer.contract_list(console.api, session.token, status, page)
    return pages.render(
        request,
        "contracts.html",
        {"session": session, "listing": listing, "statuses": list(ContractStatus), "page": page},
    )


@router.get(PAY_REPORT_PATH, name="pay_report")
async def pay_report(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    report = await console.api.pay_report(session.token)
    return pages.render(request, "pay_report.html", {"session": session, "report": report})


async def _render_contract(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    contract_id: UUID,
    *,
    refusal: ApiRefused | None = None,
    failed_action: str | None = None,
    form_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    contract = await console.api.get_contract(session.token, contract_id)
    forms = [
        contract_action_form(name)
        for name in contract.allowed_actions
        if name in CONTRACT_ACTION_LABELS and session.has_any(role_for(name))
    ]
    errors = {problem.field: problem.message for problem in (refusal.errors if refusal else [])}
    return pages.render(
        request,
        "contract.html",
        {
            "session": session,
            "contract": contract,
            "action_forms": forms,
            "refusal": refusal,
            "failed_action": failed_action,
            "form_values": form_values or {},
            "field_errors": errors,
            "done": request.query_params.get("fait"),
            "awaits_admin": ContractAction.COUNTERSIGN in contract.allowed_actions
            and not session.has_any(StaffRole.ADMIN),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{contract_id}", name="contract")
async def contract_page(
    request: Request, contract_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    return await _render_contract(request, pages, console, session, contract_id)


@router.get(LIST_PATH + "/{contract_id}/document.{fmt}", name="contract_document")
async def contract_document(
    contract_id: UUID, fmt: Literal["html", "pdf"], console: ConsoleDep, session: SessionDep
) -> Response:
    """The API's document, fetched with the user's token (a browser has no bearer to send)."""
    document = await console.api.contract_document(session.token, contract_id, fmt)
    headers = {"Cache-Control": "no-store"}
    if document.disposition:
        headers["Content-Disposition"] = document.disposition
    return Response(document.content, media_type=document.media_type, headers=headers)


@router.post(LIST_PATH + "/{contract_id}/actions/{action}", name="contract_action")
async def contract_action(
    request: Request,
    contract_id: UUID,
    action: str,
    pages: Pages,
    console: ConsoleDep,
    session: SessionDep,
) -> Response:
    form = await posted_form(request)

    async def again(refusal: ApiRefused) -> Response:
        return await _render_contract(
            request,
            pages,
            console,
            session,
            contract_id,
            refusal=refusal,
            failed_action=action,
            form_values=form,
            status_code=refusal.status_code,
        )

    return await answer_form_post(
        service_layer.apply_contract_action(console.api, session.token, contract_id, action, form),
        done=f"{LIST_PATH}/{contract_id}?fait={action}",
        again=again,
    )
