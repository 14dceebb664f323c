"""Port and Temporal adapter for acting on a dossier's workflow (the applicant's withdrawal).

The dossier workflow is the authority on a dossier's status: intake asks it to apply an action
through its ``apply_action`` update and translates Temporal's answers into the errors below, so
the service layer and the HTTP handler never see a Temporal type.
"""

import logging
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from libs.messages.dossier_events import DossierStatus
from services.intake.reconciler import TemporalConnection
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
"""Long enough for a withdrawal that gives a seat back (one activity), short enough for HTTP."""
QUERY_RPC_TIMEOUT = timedelta(seconds=5)

# ApplicationError types raised by the dossier workflow (workflows/dossier/README.md).
ACTION_NOT_ALLOWED = "ActionNotAllowed"
ACTION_REFUSED = "ActionRefused"


class ActionNotAllowed(Exception):
    """The dossier's current status does not allow the action (e.g. it is already final)."""

    def __init__(self, status: str, allowed_actions: list[str]) -> None:
        super().__init__(f"action not allowed in status {status}")
        self.status = status
        self.allowed_actions = allowed_actions


class ActionRefused(Exception):
    """The workflow accepted the request but refused it while applying it; ``reason`` names
    statuses and fields only (never personal data), so it can be shown as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WorkflowNotRunning(Exception):
    """No running workflow for the dossier: not started yet, or completed (final status)."""


class WorkflowsUnavailable(Exception):
    """Temporal (or something the workflow depends on) did not answer; nothing was decided."""


class DossierWorkflows(Protocol):
    """What intake asks of the dossier workflows."""

    async def apply_action(
        self, dossier_id: UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        """Apply ``request``; the same ``update_id`` twice is applied once.

        Raises :class:`ActionNotAllowed`, :class:`ActionRefused`, :class:`WorkflowNotRunning`
        or :class:`WorkflowsUnavailable`.
        """

    async def current_status(self, dossier_id: UUID) -> DossierStatus | None:
        """The status the workflow holds (also once completed); None if there is no workflow
        or it has not run its first task. Raises :class:`WorkflowsUnavailable`."""


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
                raise WorkflowNotRunning from error
            raise WorkflowsUnavailable(f"Temporal answered {error.status.name}") from error
        except (RPCTimeoutOrCancelledError, TimeoutError, RuntimeError, OSError) as error:
            # Connecting fails with RuntimeError (core) or TimeoutError; a slow update with
            # RPCTimeoutOrCancelledError. A retry with the same update id is applied once.
            raise WorkflowsUnavailable(type(error).__name__) from error
        return result

    async def current_status(self, dossier_id: UUID) -> DossierStatus | None:
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
        except (
            WorkflowQueryFailedError,
            RPCTimeoutOrCancelledError,
            TimeoutError,
            RuntimeError,
            OSError,
        ) as error:
            raise WorkflowsUnavailable(type(error).__name__) from error
        return snapshot.status


def _refusal(cause: BaseException) -> Exception:
    """The error to raise for an update the workflow refused or failed."""
    if isinstance(cause, ApplicationError):
        if cause.type == ACTION_NOT_ALLOWED:
            status, allowed = _not_allowed_details(cause.details)
            return ActionNotAllowed(status, allowed)
        if cause.type == ACTION_REFUSED:
            return ActionRefused(cause.message)
        # DossierUnavailable, PromotionUnavailable: a dependency did not answer, retry later.
        logger.warning("dossier workflow failed the update: %s", cause.type)
        return WorkflowsUnavailable(cause.type or "ApplicationError")
    logger.warning("dossier workflow failed the update: %s", type(cause).__name__)
    return WorkflowsUnavailable(type(cause).__name__)


def _not_allowed_details(details: Any) -> tuple[str, list[str]]:
    first = details[0] if details else {}
    if not isinstance(first, dict):
        return "unknown", []
    allowed = first.get("allowed_actions") or []
    return str(first.get("status", "unknown")), [str(action) for action in allowed]
