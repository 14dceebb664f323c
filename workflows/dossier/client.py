"""The client side of the dossier workflows: a port, its Temporal adapter and its errors.

The dossier workflow is the authority on a dossier's status: the services apply actions
through its ``apply_action`` update and read its ``snapshot`` query. Temporal's answers are
translated into the errors below, so service layers and HTTP handlers never see a Temporal
type and unit tests use fakes of :class:`DossierWorkflows`. Workflow code never imports this
module (it is outside the workflow sandbox's concerns).
"""

import logging
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from libs.messages.dossier_events import FINAL_STATUSES
from libs.temporal import UNREACHABLE, TemporalConnection
from workflows.dossier.models import (
    APPLY_ACTION,
    SNAPSHOT,
    ActionRequest,
    ActionResult,
    DossierSnapshot,
)
from workflows.naming import dossier_workflow_id

logger = logging.getLogger(__name__)

UPDATE_RPC_TIMEOUT = timedelta(seconds=10)
"""Long enough for an action that calls an activity (a seat, a round), short enough for HTTP."""
QUERY_RPC_TIMEOUT = timedelta(seconds=5)


class ActionNotAllowed(Exception):
    """The dossier's status does not allow the action."""

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


class DossierNotFound(Exception):
    """No running workflow for this dossier, and none closed in a final status: it was never
    started (or not yet, just after a submission)."""


class WorkflowsUnavailable(Exception):
    """Temporal, or something the workflow depends on, did not answer; nothing was decided."""


class DossierWorkflows(Protocol):
    """What the services ask of the dossier workflows."""

    async def apply_action(
        self, dossier_id: UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        """Apply ``request``; the same ``update_id`` twice is applied once.

        Raises :class:`ActionNotAllowed` (also for a closed dossier), :class:`ActionRefused`,
        :class:`InvalidActionBody`, :class:`UnknownAction`, :class:`DossierNotFound` or
        :class:`WorkflowsUnavailable`.
        """

    async def snapshot(self, dossier_id: UUID) -> DossierSnapshot | None:
        """The workflow's snapshot (also once completed); None if there is no workflow.
        Its ``status`` is None before the workflow's first task has run.
        Raises :class:`WorkflowsUnavailable`."""


class TemporalDossierWorkflows:
    """:class:`DossierWorkflows` over the process's one Temporal client."""

    def __init__(self, connection: TemporalConnection) -> None:
        self.connection = connection

    async def apply_action(
        self, dossier_id: UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        try:
            client = await self.connection.client()
            handle = client.get_workflow_handle(dossier_workflow_id(dossier_id))
            result: ActionResult = await handle.execute_update(
                APPLY_ACTION,
                request,
                id=update_id,
                result_type=ActionResult,
                rpc_timeout=UPDATE_RPC_TIMEOUT,
            )
        except WorkflowUpdateFailedError as failed:
            raise _refusal(failed.cause) from failed
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise await self._not_running(dossier_id) from error
            raise WorkflowsUnavailable(f"Temporal answered {error.status.name}") from error
        except UNREACHABLE as error:
            raise WorkflowsUnavailable(type(error).__name__) from error
        return result

    async def snapshot(self, dossier_id: UUID) -> DossierSnapshot | None:
        try:
            client = await self.connection.client()
            handle = client.get_workflow_handle(dossier_workflow_id(dossier_id))
            snapshot: DossierSnapshot = await handle.query(
                SNAPSHOT, result_type=DossierSnapshot, rpc_timeout=QUERY_RPC_TIMEOUT
            )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise WorkflowsUnavailable(f"Temporal answered {error.status.name}") from error
        except (WorkflowQueryFailedError, *UNREACHABLE) as error:
            raise WorkflowsUnavailable(type(error).__name__) from error
        return snapshot

    async def _not_running(self, dossier_id: UUID) -> Exception:
        """An update found no running workflow: closed in a final status (409) or unknown (404).
        Queries still answer on a closed workflow."""
        snapshot = await self.snapshot(dossier_id)
        if snapshot is not None and snapshot.status in FINAL_STATUSES:
            return ActionNotAllowed(
                f"The dossier is closed (status {snapshot.status.value}).",
                snapshot.status.value,
                [],
            )
        return DossierNotFound(str(dossier_id))


def _refusal(cause: BaseException) -> Exception:
    """The error to raise for an update the workflow refused or failed."""
    if not isinstance(cause, ApplicationError):
        logger.warning("dossier workflow failed the update: %s", type(cause).__name__)
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
    if cause.type in ("ActionRefused", "SeatsExhausted"):
        return ActionRefused(cause.message)
    # DossierUnavailable, PromotionUnavailable: a dependency did not answer, retry later.
    logger.warning("dossier workflow failed the update: %s", cause.type)
    return WorkflowsUnavailable(cause.type or "ApplicationError")


def _first_detail(details: Any) -> dict[str, Any]:
    first = details[0] if details else {}
    return first if isinstance(first, dict) else {}
