"""A stand-in contract workflow: the real one's update, validator and query, nothing else.

It refuses exactly as ADR 8/10 say the contract workflow does (``UnknownAction``,
``ActionNotAllowed`` with status and allowed actions, ``InvalidActionBody`` naming fields), so
the client and the API are tested against a real Temporal server without depending on the
contract workflow's timers and activities.
"""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from libs.messages.contract_events import FINAL_CONTRACT_STATUSES, ContractStatus
    from workflows.contract.models import (
        APPLY_CONTRACT_ACTION,
        CONTRACT_ACTION_BODIES,
        CONTRACT_SNAPSHOT,
        ContractAction,
        ContractActionRequest,
        ContractActionResult,
        ContractSnapshot,
    )

ALLOWED: dict[ContractStatus, list[str]] = {
    ContractStatus.DRAFTED: [ContractAction.SET_START_DATE, ContractAction.SEND_OFFER],
    ContractStatus.OFFER_SENT: [ContractAction.ACCEPT, ContractAction.DECLINE],
    ContractStatus.ACCEPTED: [ContractAction.COUNTERSIGN],
}
LEADS_TO: dict[str, ContractStatus] = {
    ContractAction.SET_START_DATE: ContractStatus.DRAFTED,
    ContractAction.SEND_OFFER: ContractStatus.OFFER_SENT,
    ContractAction.ACCEPT: ContractStatus.ACCEPTED,
    ContractAction.DECLINE: ContractStatus.DECLINED,
    ContractAction.COUNTERSIGN: ContractStatus.SIGNED,
}


@workflow.defn(name="StandInContractWorkflow")
class StandInContractWorkflow:
    @workflow.init
    def __init__(self, start: ContractSnapshot) -> None:
        self.start = start
        self.status = start.status or ContractStatus.DRAFTED
        self.applied: list[str] = []

    @workflow.run
    async def run(self, start: ContractSnapshot) -> list[str]:
        await workflow.wait_condition(lambda: self.status in FINAL_CONTRACT_STATUSES)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.applied

    @workflow.update(name=APPLY_CONTRACT_ACTION)
    def apply(self, request: ContractActionRequest) -> ContractActionResult:
        self.applied.append(request.action)
        self.status = LEADS_TO[request.action]
        return ContractActionResult(
            status=self.status, allowed_actions=ALLOWED.get(self.status, [])
        )

    @apply.validator
    def validate(self, request: ContractActionRequest) -> None:
        if request.action not in CONTRACT_ACTION_BODIES:
            raise ApplicationError(f"unknown action {request.action}", type="UnknownAction")
        allowed = ALLOWED.get(self.status, [])
        if request.action not in allowed:
            raise ApplicationError(
                f"{request.action} is not allowed in status {self.status.value}",
                {"status": self.status.value, "allowed_actions": allowed},
                type="ActionNotAllowed",
            )
        try:
            CONTRACT_ACTION_BODIES[request.action].model_validate(request.payload)
        except ValidationError as invalid:
            errors = [
                {
                    "field": ".".join(str(part) for part in error["loc"]) or "body",
                    "message": error["msg"],
                }
                for error in invalid.errors()
            ]
            raise ApplicationError(
                "invalid body", {"errors": errors}, type="InvalidActionBody"
            ) from None

    @workflow.query(name=CONTRACT_SNAPSHOT)
    def snapshot(self) -> ContractSnapshot:
        return self.start.model_copy(
            update={"status": self.status, "allowed_actions": ALLOWED.get(self.status, [])}
        )
