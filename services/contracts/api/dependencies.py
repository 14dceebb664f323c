"""FastAPI dependencies and helpers shared by the contracts routers (and the offer page)."""

from collections.abc import Collection
from typing import Annotated, Any, Final
from uuid import UUID, uuid4

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from libs.api_errors import ApiError, ErrorResponse
from libs.dossier_links import Purpose
from libs.messages.contract_events import ContractStatus
from libs.private_pages import not_found as private_not_found
from services import action_refusals
from services.contracts import service_layer
from services.contracts.bootstrap import Contracts
from services.contracts.pages import MISSING_CONTRACT
from workflows.client_errors import ActionNotAllowed


def get_contracts(request: Request) -> Contracts:
    contracts: Contracts = request.app.state.contracts
    return contracts


ContractsDep = Annotated[Contracts, Depends(get_contracts)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying with the same key applies the action once",
    ),
]


def update_id(idempotency_key: str | None) -> str:
    """The workflow update id: the client's key makes retries apply once; without one, each
    request is its own action."""
    return idempotency_key or str(uuid4())


VIEW_PURPOSES: Final = (Purpose.READ, Purpose.ANSWER_OFFER)
"""The tokens that show a contract: the dossier's read link and the offer link."""
ANSWER_PURPOSES: Final = (Purpose.ANSWER_OFFER,)
"""The only token that accepts or declines: a leaked read link cannot answer the offer."""

NOT_FOUND: Final = "Contrat introuvable / Contract not found."

NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown contract"}
}
UNAVAILABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Temporal unreachable: retry after Retry-After"}
}


def document_path(contract_id: UUID, extension: str) -> str:
    return f"/api/v1/contracts/{contract_id}/document.{extension}"


async def applicant_view(
    contracts: Contracts,
    contract_id: str,
    token: str | None,
    purposes: Collection[Purpose] = VIEW_PURPOSES,
) -> service_layer.ContractView | None:
    """The contract if ``token`` is a private-link token of its dossier for one of
    ``purposes`` and the offer was sent; None otherwise (one identical 404 for a wrong link, an
    unknown id and a draft)."""
    try:
        parsed = UUID(contract_id)
    except ValueError:
        return None
    if not token:
        return None  # nothing to check: do not even look the contract up
    view = await service_layer.contract_view(
        contracts.sessions, contracts.contract_workflows, parsed
    )
    if view is None or contracts.link_keys.purpose_of(view.dossier_id, token, purposes) is None:
        return None
    # A draft may still change (its start date): the EIG sees the contract once offered.
    return None if view.status == ContractStatus.DRAFTED else view


def not_found(request: Request, *, html: bool) -> Response:
    """The 404 of a wrong contract link: the page for browsers, JSON for programs."""
    return private_not_found(request, MISSING_CONTRACT, NOT_FOUND, html=html)


def refusal_error(error: Exception, headers: dict[str, str] | None = None) -> ApiError:
    """The 409/422/404/503 for any of :data:`services.action_refusals.REFUSALS`, as the
    selection API answers them: 409 with ``status`` and ``allowed_actions``, 422 naming
    fields, 404, 503 with Retry-After."""
    return action_refusals.refusal_error(error, not_found=NOT_FOUND, headers=headers)


def conflict_response(
    error: ActionNotAllowed, headers: dict[str, str] | None = None
) -> JSONResponse:
    return refusal_error(error, headers).response()
