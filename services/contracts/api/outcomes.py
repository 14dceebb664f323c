"""Applying a contract action and turning the workflow's refusals into HTTP answers.

Shared by the staff actions and the applicant's answer, so both refuse the same way as the
selection API: 409 with ``status`` and ``allowed_actions``, 422 naming fields, 404, 503.
"""

from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse

from libs.api_errors import ApiError
from services import action_refusals
from services.action_refusals import REFUSALS
from services.contracts.api.dependencies import NOT_FOUND
from workflows.client_errors import ActionNotAllowed
from workflows.contract.client import ContractWorkflows
from workflows.contract.models import ContractAction, ContractActionRequest, ContractActionResult

__all__ = ["REFUSALS", "apply_action", "conflict_response", "refusal_error"]


async def apply_action(
    workflows: ContractWorkflows,
    contract_id: UUID,
    action: ContractAction,
    payload: dict[str, Any],
    *,
    actor: str,
    update_id: str,
) -> ContractActionResult:
    request = ContractActionRequest(action=action.value, actor=actor, payload=payload)
    return await workflows.apply_action(contract_id, request, update_id=update_id)


def conflict_response(
    error: ActionNotAllowed, headers: dict[str, str] | None = None
) -> JSONResponse:
    return refusal_error(error, headers).response()


def refusal_error(error: Exception, headers: dict[str, str] | None = None) -> ApiError:
    """The 409/422/404/503 for any of :data:`REFUSALS`."""
    return action_refusals.refusal_error(error, not_found=NOT_FOUND, headers=headers)
