"""The client side of the contract workflows: a port, its Temporal adapter and its errors.

The contract workflow (``contract-<id>``, a child of the candidate's dossier workflow) is the
authority on a contract's status: the contracts service applies actions through its
``apply_contract_action`` update and reads its ``contract_snapshot`` query. Refusals come back
as the errors shared by every workflow client (:mod:`workflows.client_errors`: import them from
there), so the contracts API answers exactly like the selection API. Workflow code never
imports this module.
"""

from typing import Protocol
from uuid import UUID

from libs.messages.contract_events import FINAL_CONTRACT_STATUSES
from libs.temporal import TemporalConnection
from workflows.client_errors import TemporalActionWorkflows, WorkflowNotFound
from workflows.contract.models import (
    APPLY_CONTRACT_ACTION,
    CONTRACT_SNAPSHOT,
    ContractActionRequest,
    ContractActionResult,
    ContractSnapshot,
    contract_workflow_id,
)


class ContractNotFound(WorkflowNotFound):
    """No contract workflow under this id (never started, or its history is gone)."""


class ContractWorkflows(Protocol):
    """What the contracts service asks of the contract workflows."""

    async def apply_action(
        self, contract_id: UUID, /, request: ContractActionRequest, *, update_id: str
    ) -> ContractActionResult:
        """Apply ``request``; the same ``update_id`` twice is applied once.

        Raises (:mod:`workflows.client_errors`) ``ActionNotAllowed`` (also for a contract
        closed in a final status), ``ActionRefused``, ``InvalidActionBody``,
        ``UnknownAction``, :class:`ContractNotFound` or ``WorkflowsUnavailable``.
        """

    async def snapshot(self, contract_id: UUID, /) -> ContractSnapshot | None:
        """The workflow's snapshot (also once completed); None if there is no such workflow.
        Raises ``WorkflowsUnavailable``."""


class TemporalContractWorkflows(
    TemporalActionWorkflows[ContractActionRequest, ContractActionResult, ContractSnapshot]
):
    """:class:`ContractWorkflows` over the process's one Temporal client."""

    def __init__(self, connection: TemporalConnection) -> None:
        super().__init__(
            connection,
            workflow_id=contract_workflow_id,
            update=APPLY_CONTRACT_ACTION,
            snapshot_query=CONTRACT_SNAPSHOT,
            result_type=ContractActionResult,
            snapshot_type=ContractSnapshot,
            final_statuses=FINAL_CONTRACT_STATUSES,
            noun="contract",
            not_found=ContractNotFound,
        )
