"""Applying a contract action and turning the workflow's refusals into HTTP answers.

Shared by the staff actions and the applicant's answer, so both refuse the same way as the
selection API: 409 with ``status`` and ``allowed_actions``, 422 naming fields, 404, 503.
"""

from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse

from libs.api_errors import ApiError, FieldError
from services.contracts.api.dependencies import NOT_FOUND, RETRY_AFTER_SECONDS, UNAVAILABLE
from services.contracts.schemas import ActionConflict
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowNotFound,
    WorkflowsUnavailable,
)
from workflows.contract.client import ContractWorkflows
from workflows.contract.models import ContractAction, ContractActionRequest, ContractActionResult

REFUSALS = (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowNotFound,
    WorkflowsUnavailable,
)
"""Every error :meth:`ContractWorkflows.apply_action` raises."""


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
    conflict = ActionConflict(
        detail=str(error), status=error.status, allowed_actions=error.allowed_actions
    )
    return JSONResponse(conflict.model_dump(mode="json"), status_code=409, headers=headers)


def refusal_error(error: Exception, headers: dict[str, str] | None = None) -> ApiError:
    """The 4xx/503 for any refusal but :class:`ActionNotAllowed` (see :func:`conflict_response`)."""
    headers = dict(headers or {})
    if isinstance(error, ActionRefused):
        return ApiError(409, str(error), headers=headers)
    if isinstance(error, InvalidActionBody):
        fields = [
            FieldError(field=item["field"], message=item["message"], type="value_error")
            for item in error.errors
        ]
        return ApiError(422, str(error), fields, headers=headers)
    if isinstance(error, UnknownAction | WorkflowNotFound):
        return ApiError(404, NOT_FOUND, headers=headers)
    return ApiError(503, UNAVAILABLE, headers={**headers, "Retry-After": str(RETRY_AFTER_SECONDS)})
