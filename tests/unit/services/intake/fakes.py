"""In-memory stand-ins for intake's ports, for the unit tests and the in-browser pages."""

from dataclasses import dataclass, field
from uuid import UUID

from libs.messages.common import DossierKind
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from workflows.client_errors import ActionNotAllowed, WorkflowsUnavailable
from workflows.dossier.client import DossierNotFound
from workflows.dossier.models import ActionRequest, ActionResult, DossierSnapshot


@dataclass
class ApplyActionCall:
    dossier_id: UUID
    request: ActionRequest
    update_id: str


@dataclass
class FakeDossierWorkflows:
    """Answers like one running dossier workflow: withdraws it once, then refuses (final).

    ``status`` is what its ``snapshot`` query says (None: there is no workflow);
    ``failure`` replaces every answer of ``apply_action``; with :class:`DossierNotFound`,
    the workflow is found completed in ``status_once_closed`` (None: it never existed).
    """

    status: DossierStatus | None = DossierStatus.IN_REVIEW
    failure: Exception | None = None
    status_once_closed: DossierStatus | None = None
    calls: list[ApplyActionCall] = field(default_factory=list)

    async def apply_action(
        self, dossier_id: UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        self.calls.append(ApplyActionCall(dossier_id, request, update_id))
        if isinstance(self.failure, DossierNotFound):
            self.status = self.status_once_closed
        if self.failure is not None:
            raise self.failure
        assert self.status is not None
        if self.status in FINAL_STATUSES:
            raise ActionNotAllowed("final", self.status.value, [])
        self.status = DossierStatus.WITHDRAWN
        return ActionResult(status=self.status, allowed_actions=[])

    async def snapshot(self, dossier_id: UUID) -> DossierSnapshot | None:
        if isinstance(self.failure, WorkflowsUnavailable):
            raise self.failure
        if self.status is None:
            return None
        return DossierSnapshot(
            dossier_id=dossier_id, kind=DossierKind.CANDIDATE, status=self.status
        )
