"""What the services' workflow clients share: their errors and one translation of Temporal's.

The dossier and contract workflows refuse actions the same way (an update validator raising
``ApplicationError`` of type ``UnknownAction``, ``ActionNotAllowed`` or ``InvalidActionBody``,
ADR 8 and 10), so their clients translate Temporal's answers here, once: service layers and
HTTP handlers only ever see the exceptions below. Workflow code never imports this module.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from libs.temporal import UNREACHABLE, TemporalConnection

logger = logging.getLogger(__name__)

T = TypeVar("T")

UPDATE_RPC_TIMEOUT = timedelta(seconds=10)
"""Long enough for an action that calls an activity (a seat, a round), short enough for HTTP."""
QUERY_RPC_TIMEOUT = timedelta(seconds=5)

REFUSED_TYPES = frozenset({"ActionRefused", "SeatsExhausted"})
"""Failures of an update's handler that are decisions (shown as they are), not outages."""


class ActionNotAllowed(Exception):
    """The workflow's status does not allow the action."""

    def __init__(self, message: str, status: str, allowed_actions: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.allowed_actions = allowed_actions


class ActionRefused(Exception):
    """The workflow refused the action while applying it; ``reason`` names statuses and fields
    only (never personal data), so it can be shown as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidActionBody(Exception):
    """The workflow found the body invalid; ``errors`` are ``{"field", "message"}`` dicts."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


class UnknownAction(Exception):
    """The workflow knows no such action."""


class WorkflowNotFound(Exception):
    """No workflow under this id, running or closed in a final status. Each client raises its
    own subclass (``DossierNotFound``, ``ContractNotFound``)."""


class WorkflowsUnavailable(Exception):
    """Temporal, or something the workflow depends on, did not answer; nothing was decided."""


NotRunning = Callable[[], Awaitable[Exception]]
"""Called when an update finds no running workflow: returns the error to raise (a closed
workflow's :class:`ActionNotAllowed`, or the client's :class:`WorkflowNotFound`)."""


async def execute_update(
    connection: TemporalConnection,
    workflow_id: str,
    update: str,
    argument: Any,
    *,
    update_id: str,
    result_type: type[T],
    not_running: NotRunning,
    rpc_timeout: timedelta = UPDATE_RPC_TIMEOUT,
) -> T:
    """Run the update ``update`` once per ``update_id``; Temporal's errors translated."""
    try:
        client = await connection.client()
        handle = client.get_workflow_handle(workflow_id)
        result: T = await handle.execute_update(
            update, argument, id=update_id, result_type=result_type, rpc_timeout=rpc_timeout
        )
    except WorkflowUpdateFailedError as failed:
        # Workflow ids start with their kind ("dossier-…", "contract-…"): enough for the log.
        raise refusal(failed.cause, workflow=workflow_id.partition("-")[0]) from failed
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise await not_running() from error
        raise WorkflowsUnavailable(f"Temporal answered {error.status.name}") from error
    except UNREACHABLE as error:
        raise WorkflowsUnavailable(type(error).__name__) from error
    return result


async def query(
    connection: TemporalConnection,
    workflow_id: str,
    name: str,
    *,
    result_type: type[T],
    rpc_timeout: timedelta = QUERY_RPC_TIMEOUT,
) -> T | None:
    """The query's answer (closed workflows answer too); None if there is no such workflow.
    Raises :class:`WorkflowsUnavailable`."""
    try:
        client = await connection.client()
        handle = client.get_workflow_handle(workflow_id)
        answer: T = await handle.query(name, result_type=result_type, rpc_timeout=rpc_timeout)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise WorkflowsUnavailable(f"Temporal answered {error.status.name}") from error
    except (WorkflowQueryFailedError, *UNREACHABLE) as error:
        raise WorkflowsUnavailable(type(error).__name__) from error
    return answer


def refusal(cause: BaseException | None, *, workflow: str = "workflow") -> Exception:
    """The error to raise for an update the workflow refused (validator) or failed (handler)."""
    if not isinstance(cause, ApplicationError):
        logger.warning("%s workflow failed the update: %s", workflow, type(cause).__name__)
        return WorkflowsUnavailable(type(cause).__name__)
    details = _first_detail(cause.details)
    if cause.type == "ActionNotAllowed":
        allowed = [str(action) for action in details.get("allowed_actions") or []]
        return ActionNotAllowed(cause.message, str(details.get("status", "unknown")), allowed)
    if cause.type == "InvalidActionBody":
        errors = [
            {"field": str(error.get("field", "body")), "message": str(error.get("message", ""))}
            for error in details.get("errors") or []
            if isinstance(error, dict)
        ]
        return InvalidActionBody(cause.message, errors)
    if cause.type == "UnknownAction":
        return UnknownAction(cause.message)
    if cause.type in REFUSED_TYPES:
        return ActionRefused(cause.message)
    # DossierUnavailable, PromotionUnavailable...: a dependency did not answer, retry later.
    logger.warning("%s workflow failed the update: %s", workflow, cause.type)
    return WorkflowsUnavailable(cause.type or "ApplicationError")


def _first_detail(details: Any) -> dict[str, Any]:
    first = details[0] if details else {}
    return first if isinstance(first, dict) else {}
