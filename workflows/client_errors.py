"""What the services' workflow clients share: their errors and one translation of Temporal's.

The dossier, contract and promotion workflows refuse the same way (an update validator or
handler raising ``ApplicationError`` of a type from :class:`~workflows.error_types.ErrorType`,
ADR 8 and 10), so their clients translate Temporal's answers here, once: service layers and
HTTP handlers only ever see the exceptions below (client side; the pure rules raise their own,
:mod:`workflows.action_rules`), and ``services/action_refusals.py`` answers them over HTTP.
Workflow code never imports this module.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from libs.temporal import UNREACHABLE, TemporalConnection
from workflows.error_types import ErrorType

logger = logging.getLogger(__name__)

T = TypeVar("T")

UPDATE_RPC_TIMEOUT = timedelta(seconds=10)
"""Long enough for an action that calls an activity (a seat, a round), short enough for HTTP."""
QUERY_RPC_TIMEOUT = timedelta(seconds=5)

REFUSED_TYPES = frozenset(
    {
        ErrorType.ACTION_REFUSED,
        ErrorType.SEATS_EXHAUSTED,
        ErrorType.ACTION_FAILED,
        ErrorType.ROUND_EXISTS,
        ErrorType.WRONG_PROMOTION,
    }
)
"""Refusals that are decisions (shown as they are), not outages: :class:`ActionRefused`."""
INVALID_FIELD_TYPES = frozenset({ErrorType.INVALID_ROUND, ErrorType.NAIVE_DATETIME})
"""Refusals of one field's value (``details[0]["field"]``): :class:`InvalidActionBody`."""


class ActionNotAllowed(Exception):
    """The workflow's status does not allow the action."""

    def __init__(self, message: str, status: str, allowed_actions: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.allowed_actions = allowed_actions


class ActionRefused(Exception):
    """The workflow refused the action while applying it; ``reason`` names statuses and fields
    only (never personal data), so it can be shown as it is. ``field``, if any, is the input
    at fault (e.g. a round id already taken)."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class InvalidActionBody(Exception):
    """The workflow found the body invalid; ``errors`` are ``{"field", "message"}`` dicts."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


class UnknownAction(Exception):
    """The workflow knows no such action."""


class WorkflowNotFound(Exception):
    """No workflow under this id, running or closed in a final status (or nothing under this
    id in it, e.g. a promotion's round). Each client raises its own subclasses
    (``DossierNotFound``, ``ContractNotFound``, ``PromotionNotFound``, ``RoundNotFound``);
    ``field``, if any, is the input that named it."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
    update_id: str | None,
    result_type: type[T],
    not_running: NotRunning,
    rpc_timeout: timedelta = UPDATE_RPC_TIMEOUT,
) -> T:
    """Run the update ``update`` once per ``update_id`` (None: Temporal draws one); Temporal's
    errors translated."""
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
    *args: Any,
    result_type: type[T],
    not_found: Callable[[], Exception] | None = None,
    rpc_timeout: timedelta = QUERY_RPC_TIMEOUT,
) -> T | None:
    """The query's answer (closed workflows answer too). With no such workflow: None, or the
    error ``not_found`` returns if given (for a query that may answer None itself).
    Raises :class:`WorkflowsUnavailable`."""
    try:
        client = await connection.client()
        handle = client.get_workflow_handle(workflow_id)
        answer: T = await handle.query(
            name, *args, result_type=result_type, rpc_timeout=rpc_timeout
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            if not_found is not None:
                raise not_found() from error
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
    field = str(details["field"]) if details.get("field") else None
    if cause.type == ErrorType.ACTION_NOT_ALLOWED:
        allowed = [str(action) for action in details.get("allowed_actions") or []]
        return ActionNotAllowed(cause.message, str(details.get("status", "unknown")), allowed)
    if cause.type == ErrorType.INVALID_ACTION_BODY:
        errors = [
            {"field": str(error.get("field", "body")), "message": str(error.get("message", ""))}
            for error in details.get("errors") or []
            if isinstance(error, dict)
        ]
        return InvalidActionBody(cause.message, errors)
    if cause.type in INVALID_FIELD_TYPES:
        return InvalidActionBody(
            cause.message, [{"field": field or "body", "message": cause.message}]
        )
    if cause.type == ErrorType.UNKNOWN_ACTION:
        return UnknownAction(cause.message)
    if cause.type in REFUSED_TYPES:
        return ActionRefused(cause.message, field=field)
    # DossierUnavailable, PromotionUnavailable...: a dependency did not answer, retry later.
    logger.warning("%s workflow failed the update: %s", workflow, cause.type)
    return WorkflowsUnavailable(cause.type or "ApplicationError")


def _first_detail(details: Any) -> dict[str, Any]:
    first = details[0] if details else {}
    return first if isinstance(first, dict) else {}


class _HasStatus(Protocol):
    @property
    def status(self) -> StrEnum | None: ...


RequestT = TypeVar("RequestT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)
SnapshotT = TypeVar("SnapshotT", bound=_HasStatus)


class TemporalActionWorkflows(Generic[RequestT, ResultT, SnapshotT]):
    """Actions (one update) and snapshots (one query) of a family of workflows keyed by id,
    over the process's one Temporal client: the dossier and contract adapters are this."""

    def __init__(
        self,
        connection: TemporalConnection,
        *,
        workflow_id: Callable[[UUID], str],
        update: str,
        snapshot_query: str,
        result_type: type[ResultT],
        snapshot_type: type[SnapshotT],
        final_statuses: frozenset[str],
        noun: str,
        not_found: type[WorkflowNotFound],
    ) -> None:
        self.connection = connection
        self._workflow_id = workflow_id
        self._update = update
        self._snapshot_query = snapshot_query
        self._result_type = result_type
        self._snapshot_type = snapshot_type
        self._final_statuses = final_statuses
        self._noun = noun
        self._not_found = not_found

    async def apply_action(self, id: UUID, /, request: RequestT, *, update_id: str) -> ResultT:
        async def not_running() -> Exception:
            return await self._not_running(id)

        return await execute_update(
            self.connection,
            self._workflow_id(id),
            self._update,
            request,
            update_id=update_id,
            result_type=self._result_type,
            not_running=not_running,
        )

    async def snapshot(self, id: UUID, /) -> SnapshotT | None:
        return await query(
            self.connection,
            self._workflow_id(id),
            self._snapshot_query,
            result_type=self._snapshot_type,
        )

    async def _not_running(self, id: UUID) -> Exception:
        """An update found no running workflow: closed in a final status (409) or unknown (404).
        Queries still answer on a closed workflow."""
        snapshot = await self.snapshot(id)
        status = snapshot.status if snapshot is not None else None
        if status is not None and status in self._final_statuses:
            return ActionNotAllowed(
                f"The {self._noun} is closed (status {status.value}).", status.value, []
            )
        return self._not_found(str(id))
