"""The client side of the dossier workflows: a port, its Temporal adapter and its errors.

The dossier workflow is the authority on a dossier's status: the services apply actions
through its ``apply_action`` update and read its ``snapshot`` query. Temporal's answers are
translated into the errors of :mod:`workflows.client_errors` (shared by every workflow client:
import them from there), so service layers and HTTP handlers never see a Temporal type and unit
tests use fakes of :class:`DossierWorkflows`. Workflow code never imports this module (it is
outside the workflow sandbox's concerns).
"""

from typing import Protocol
from uuid import UUID

from libs.messages.dossier_events import FINAL_STATUSES
from libs.temporal import TemporalConnection
from workflows.client_errors import TemporalActionWorkflows, WorkflowNotFound
from workflows.dossier.models import (
    APPLY_ACTION,
    SNAPSHOT,
    ActionRequest,
    ActionResult,
    DossierSnapshot,
    dossier_workflow_id,
)


class DossierNotFound(WorkflowNotFound):
    """No running workflow for this dossier, and none closed in a final status: it was never
    started (or not yet, just after a submission)."""


class DossierWorkflows(Protocol):
    """What the services ask of the dossier workflows."""

    async def apply_action(
        self, dossier_id: UUID, /, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        """Apply ``request``; the same ``update_id`` twice is applied once.

        Raises (:mod:`workflows.client_errors`) ``ActionNotAllowed`` (also for a closed
        dossier), ``ActionRefused``, ``InvalidActionBody``, ``UnknownAction``,
        :class:`DossierNotFound` or ``WorkflowsUnavailable``.
        """

    async def snapshot(self, dossier_id: UUID, /) -> DossierSnapshot | None:
        """The workflow's snapshot (also once completed); None if there is no workflow.
        Its ``status`` is None before the workflow's first task has run.
        Raises ``WorkflowsUnavailable``."""


class TemporalDossierWorkflows(
    TemporalActionWorkflows[ActionRequest, ActionResult, DossierSnapshot]
):
    """:class:`DossierWorkflows` over the process's one Temporal client."""

    def __init__(self, connection: TemporalConnection) -> None:
        super().__init__(
            connection,
            workflow_id=dossier_workflow_id,
            update=APPLY_ACTION,
            snapshot_query=SNAPSHOT,
            result_type=ActionResult,
            snapshot_type=DossierSnapshot,
            final_statuses=FINAL_STATUSES,
            noun="dossier",
            not_found=DossierNotFound,
        )
