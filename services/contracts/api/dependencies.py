"""FastAPI dependencies and helpers shared by the contracts routers."""

from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, Header, Request

from libs.api_errors import ErrorResponse
from services.contracts.bootstrap import Contracts


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


NOT_FOUND = "Contrat introuvable / Contract not found."

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No valid bearer token"},
    403: {"model": ErrorResponse, "description": "Role not allowed"},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown contract"}
}
UNAVAILABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Temporal unreachable: retry after Retry-After"}
}
