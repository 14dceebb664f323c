"""What the dossier and contract state machines share about refusing an action.

The bounds of the bodies' fields (dates, notes), the refusals ``rules.admit`` raises (pure),
how a body is validated into one, and how a workflow turns them into the typed
``ApplicationError`` its callers read (``workflows.client_errors``). Pure and light: only
pydantic, ``libs.plain_text`` and ``temporalio.exceptions``, so both the rules and the workflow
sandbox import it cheaply.
"""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, Field, StringConstraints, ValidationError, WithJsonSchema
from temporalio.exceptions import ApplicationError

from libs.plain_text import PlainText
from workflows.error_types import ErrorType

Body = TypeVar("Body", bound=BaseModel)

# Bounds of the action bodies, where their meaning ends: a date far out would overflow the
# date arithmetic of the handlers (a term ending in year 10000), a NUL in a note is refused by
# PostgreSQL in every read model downstream.
EARLIEST_ACTION_DATE: Final = date(2000, 1, 1)
LATEST_ACTION_DATE: Final = date(2100, 12, 31)
ACTION_DATE_PATTERN: Final = r"^(20[0-9]{2}|2100)-"
"""The bounds above as the OpenAPI document can say them (a JSON schema has no date range)."""
ActionDate = Annotated[
    date,
    Field(ge=EARLIEST_ACTION_DATE, le=LATEST_ACTION_DATE),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ACTION_DATE_PATTERN}),
]
"""A date an action names; each rule may bound it closer (a start date within a year)."""
NOTE_MAX_LENGTH: Final = 5000
NoteText = Annotated[PlainText, StringConstraints(max_length=NOTE_MAX_LENGTH)]
"""A note staff or an applicant write: bounded, no control character but line breaks, tabs."""


class ActionRefusal(ValueError):
    """Any refusal ``admit`` raises: the action is not taken."""


class NoSuchAction(ActionRefusal):
    """No action has this name (``ErrorType.UNKNOWN_ACTION``)."""


class ActionDoesNotApply(ActionRefusal):
    """The action exists but does not apply in the current status, or not yet
    (``ErrorType.ACTION_NOT_ALLOWED``)."""

    def __init__(self, message: str, status: StrEnum | None, allowed: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.allowed = allowed


class InvalidBody(ActionRefusal):
    """The body does not match the action's model; ``errors`` name the fields at fault
    (``ErrorType.INVALID_ACTION_BODY``)."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


def not_allowed(
    action: str, status: StrEnum | None, allowed: list[str], reason: str | None = None
) -> ActionDoesNotApply:
    """The action does not apply in ``status`` (for ``reason``, if it is allowed there)."""
    allowed_text = ", ".join(allowed) or "none"
    why = "" if reason is None else f": {reason}"
    return ActionDoesNotApply(
        f"{action} is not allowed in status {status}{why}; allowed actions: {allowed_text}",
        status,
        allowed,
    )


def invalid_body(action: str, errors: list[dict[str, str]]) -> InvalidBody:
    """``errors`` (``{"field", "message"}``) as a refusal that names them."""
    described = "; ".join(f"{issue['field']}: {issue['message']}" for issue in errors)
    return InvalidBody(f"invalid body for {action}: {described}", errors)


def validate_body(action: str, model: type[Body], payload: Mapping[str, Any]) -> Body:
    """``payload`` as ``model``; InvalidBody naming the fields at fault if it is not."""
    try:
        return model.model_validate(dict(payload))
    except ValidationError as error:
        # Field paths and messages only: the input values may hold personal data.
        errors = [
            {
                "field": ".".join(str(part) for part in issue["loc"]) or "body",
                "message": issue["msg"],
            }
            for issue in error.errors()
        ]
        raise invalid_body(action, errors) from None


def refusal_error(refusal: ActionRefusal) -> ApplicationError:
    """The refusal as the workflow fails an update with: typed, non-retryable, with details."""
    if isinstance(refusal, ActionDoesNotApply):
        return ApplicationError(
            str(refusal),
            {"status": refusal.status, "allowed_actions": refusal.allowed},
            type=ErrorType.ACTION_NOT_ALLOWED,
            non_retryable=True,
        )
    if isinstance(refusal, InvalidBody):
        return ApplicationError(
            str(refusal),
            {"errors": refusal.errors},
            type=ErrorType.INVALID_ACTION_BODY,
            non_retryable=True,
        )
    return ApplicationError(str(refusal), type=ErrorType.UNKNOWN_ACTION, non_retryable=True)
