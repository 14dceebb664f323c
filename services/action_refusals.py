"""The HTTP answer to each refusal of a workflow client's ``apply_action``, for every service.

Both workflows refuse actions the same way (:mod:`workflows.client_errors`), so both APIs
answer them the same way: 409 with ``status`` and ``allowed_actions`` (not allowed in the
current status), 409 (refused by the workflow), 422 naming fields, 404, 503 with Retry-After.
Here rather than in ``libs``, which knows nothing of the workflows.
"""

from collections.abc import Mapping
from typing import Literal

from fastapi.responses import JSONResponse

from libs.api_errors import ApiError, ErrorResponse, FieldError
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowNotFound,
    WorkflowsUnavailable,
)

UNAVAILABLE = "Service momentanément indisponible, réessayez / Temporarily unavailable, retry."
RETRY_AFTER_SECONDS = 5

REFUSALS = (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowNotFound,
    WorkflowsUnavailable,
)
"""Every error a workflow client's ``apply_action`` raises."""

RefusalKind = Literal["refused", "invalid", "not_found", "unavailable"]


class StateConflict(ApiError):
    """A 409 that also says where the workflow is and what it allows."""

    def __init__(
        self,
        detail: str,
        workflow_status: str,
        allowed_actions: list[str],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(409, detail, headers=headers)
        self.workflow_status = workflow_status
        self.allowed_actions = allowed_actions

    def response(self) -> JSONResponse:
        body = ErrorResponse(detail=self.detail, errors=self.errors).model_dump(mode="json")
        body["status"] = self.workflow_status
        body["allowed_actions"] = self.allowed_actions
        return JSONResponse(body, status_code=self.status_code, headers=self.headers or None)


def refusal_kind(error: Exception) -> RefusalKind:
    """What the refusal means, e.g. for a metric's label."""
    if isinstance(error, ActionNotAllowed | ActionRefused):
        return "refused"
    if isinstance(error, InvalidActionBody):
        return "invalid"
    if isinstance(error, UnknownAction | WorkflowNotFound):
        return "not_found"
    return "unavailable"


def refusal_error(
    error: Exception, *, not_found: str, headers: Mapping[str, str] | None = None
) -> ApiError:
    """The error to raise for any of :data:`REFUSALS`; ``not_found`` is the 404's detail and
    ``headers`` go on every answer."""
    headers = dict(headers or {})
    if isinstance(error, ActionNotAllowed):
        return StateConflict(str(error), error.status, error.allowed_actions, headers)
    if isinstance(error, ActionRefused):
        return ApiError(409, str(error), headers=headers)
    if isinstance(error, InvalidActionBody):
        fields = [
            FieldError(field=item["field"], message=item["message"], type="value_error")
            for item in error.errors
        ]
        return ApiError(422, str(error), fields, headers=headers)
    if isinstance(error, UnknownAction | WorkflowNotFound):
        return ApiError(404, not_found, headers=headers)
    return ApiError(503, UNAVAILABLE, headers={**headers, "Retry-After": str(RETRY_AFTER_SECONDS)})
