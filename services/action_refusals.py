"""The HTTP answer to each refusal of a workflow client, for every service and every API.

Every workflow client refuses the same way (:mod:`workflows.client_errors`: dossier and
contract actions, promotions and rounds), so every API answers the same way: 409 with
``status`` and ``allowed_actions`` (not allowed in the current status), 409 (refused by the
workflow, naming the field at fault if any), 422 naming fields, 404, 503 with Retry-After.
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
"""Every error a workflow client raises (its subclasses included)."""

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
    error: Exception,
    *,
    not_found: str | None = None,
    headers: Mapping[str, str] | None = None,
    field_names: Mapping[str, str] | None = None,
) -> ApiError:
    """The error to raise for any of :data:`REFUSALS`.

    ``not_found`` is the 404's detail (default: the error's own message, which names ids,
    never personal data); ``headers`` go on every answer; ``field_names`` gives the request's
    name of a field the client names otherwise (e.g. the query's ``promotion`` for the
    client's ``promotion_number``).
    """
    headers = dict(headers or {})
    names = field_names or {}

    def named(field: str | None, message: str, type: str) -> list[FieldError]:
        if field is None:
            return []
        return [FieldError(field=names.get(field, field), message=message, type=type)]

    if isinstance(error, ActionNotAllowed):
        return StateConflict(str(error), error.status, error.allowed_actions, headers)
    if isinstance(error, ActionRefused):
        return ApiError(409, str(error), named(error.field, str(error), "conflict"), headers)
    if isinstance(error, InvalidActionBody):
        fields = [
            FieldError(
                field=names.get(item["field"], item["field"]),
                message=item["message"],
                type="value_error",
            )
            for item in error.errors
        ]
        return ApiError(422, str(error), fields, headers=headers)
    if isinstance(error, UnknownAction):
        return ApiError(404, not_found or str(error), headers=headers)
    if isinstance(error, WorkflowNotFound):
        detail = not_found or str(error)
        return ApiError(404, detail, named(error.field, str(error), "not_found"), headers)
    return ApiError(503, UNAVAILABLE, headers={**headers, "Retry-After": str(RETRY_AFTER_SECONDS)})
