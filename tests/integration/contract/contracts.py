"""Contract workflows to test against: stand-in activities, actions, waits, the full path."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from libs.kafka import create_broker
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from tests.eventually import eventually
from tests.unit.workflows.dossiers import wait_until_idle
from workflows.contract.activities import ContractActivities
from workflows.contract.models import (
    APPLY_CONTRACT_ACTION,
    CONTRACT_SNAPSHOT,
    PUBLISH_CONTRACT_EVENT,
    ContractActionRequest,
    ContractActionResult,
    ContractInput,
    ContractOutcome,
    ContractSnapshot,
    PublishContractEventInput,
    contract_workflow_id,
)
from workflows.contract.workflows import ContractWorkflow
from workflows.contract.working_days import paris_midnight, renewal_due_on
from workflows.promotion.models import (
    ALLOCATE_CONTRACT_NUMBER,
    ContractNumberInput,
    ContractNumberResult,
)

ContractHandle = WorkflowHandle[ContractWorkflow, ContractOutcome]
ContractEvent = ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided


class StandInNumbering:
    """``allocate_contract_number`` answering like the promotion: idempotent per contract."""

    def __init__(self) -> None:
        self.calls: list[ContractNumberInput] = []
        self.numbers: dict[uuid.UUID, str] = {}

    @activity.defn(name=ALLOCATE_CONTRACT_NUMBER)
    async def allocate_contract_number(self, input: ContractNumberInput) -> ContractNumberResult:
        self.calls.append(input)
        number = self.numbers.setdefault(
            input.contract_id, f"EIG-{input.promotion_number}-{len(self.numbers) + 1:04d}"
        )
        return ContractNumberResult(sequence=int(number.rsplit("-", 1)[1]), contract_number=number)


class StandInEventLog:
    """``publish_contract_event`` recording every event, in order."""

    def __init__(self) -> None:
        self.events: list[ContractEvent] = []

    @activity.defn(name=PUBLISH_CONTRACT_EVENT)
    async def publish_contract_event(self, input: PublishContractEventInput) -> None:
        self.events.append(input.event)

    def statuses(self) -> list[str]:
        """Each event as one word: the status, or the event's name, for sequence asserts."""
        return [
            event.status.value
            if isinstance(event, ContractStatusChanged)
            else f"renewal_decided:{event.renew}"
            if isinstance(event, ContractRenewalDecided)
            else "offer_reminder"
            for event in self.events
        ]

    def status_changes(self) -> list[ContractStatusChanged]:
        return [event for event in self.events if isinstance(event, ContractStatusChanged)]

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class ContractStandIns:
    """Every activity the contract workflow calls: stand-ins for numbering and publishing, the
    real ``load_pay_policy`` (reading the committed policy files)."""

    numbering: StandInNumbering = field(default_factory=StandInNumbering)
    log: StandInEventLog = field(default_factory=StandInEventLog)
    # Never connected: only load_pay_policy of the real activities is registered.
    real: ContractActivities = field(
        default_factory=lambda: ContractActivities(create_broker("127.0.0.1:9", "unused"))
    )

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.real.load_pay_policy,
            self.numbering.allocate_contract_number,
            self.log.publish_contract_event,
        ]


async def start_contract(
    env: WorkflowEnvironment, task_queue: str, contract: ContractInput, *, id_suffix: str = ""
) -> ContractHandle:
    handle: ContractHandle = await env.client.start_workflow(
        ContractWorkflow.run,
        contract,
        id=contract_workflow_id(contract.contract_id) + id_suffix,
        task_queue=task_queue,
    )
    await until_status(handle, ContractStatus.DRAFTED)
    return handle


async def act(
    handle: WorkflowHandle[Any, Any], action: str, actor: str = "staff-7", **payload: Any
) -> ContractActionResult:
    """Apply an action as the contracts API will: the ``apply_contract_action`` update."""
    result: ContractActionResult = await handle.execute_update(
        APPLY_CONTRACT_ACTION,
        ContractActionRequest(action=action, actor=actor, payload=payload),
        result_type=ContractActionResult,
    )
    return result


async def snapshot(handle: WorkflowHandle[Any, Any]) -> ContractSnapshot:
    result: ContractSnapshot = await handle.query(CONTRACT_SNAPSHOT, result_type=ContractSnapshot)
    return result


async def until(
    handle: WorkflowHandle[Any, Any], reached: Callable[[ContractSnapshot], bool]
) -> ContractSnapshot:
    """The snapshot once ``reached`` holds and the workflow has nothing left in flight."""

    async def probe() -> ContractSnapshot | None:
        current = await snapshot(handle)
        return current if reached(current) else None

    await eventually(probe)
    await wait_until_idle(handle)
    return await snapshot(handle)


async def until_status(
    handle: WorkflowHandle[Any, Any], status: ContractStatus, version: int = 1
) -> ContractSnapshot:
    return await until(
        handle,
        lambda current: (
            current.status == status
            and current.terms is not None
            and current.terms.version == version
        ),
    )


async def sleep_until(env: WorkflowEnvironment, at: datetime) -> None:
    """Skip the server's time to just past ``at``, firing the timers due by then."""
    now = await env.get_current_time()
    await env.sleep(max(at - now, timedelta(0)) + timedelta(minutes=1))


async def sign(handle: ContractHandle) -> ContractTerms:
    """Offer, acceptance and countersignature: the contract is signed; its terms."""
    await act(handle, "send_offer", note="Bienvenue dans la promotion 7")
    await act(handle, "accept", actor="applicant")
    await act(handle, "countersign", actor="admin-1", note="Pour la DINUM")
    terms = (await snapshot(handle)).terms
    assert terms is not None
    return terms


async def full_path(env: WorkflowEnvironment, handle: ContractHandle) -> ContractOutcome:
    """Offer, acceptance, countersignature, activation, a renewal, the next term, a renewal
    refused, and the end of the contract."""
    first = await sign(handle)
    await sleep_until(env, paris_midnight(first.start_on))
    await until_status(handle, ContractStatus.ACTIVE)
    await sleep_until(env, paris_midnight(renewal_due_on(first.end_on, 2)))
    await until_status(handle, ContractStatus.RENEWAL_DUE)
    await act(handle, "decide_renewal", renew=True, note="Renouvelé pour un an")
    await sleep_until(env, paris_midnight(first.end_on + timedelta(days=1)))
    second = (await until_status(handle, ContractStatus.ACTIVE, version=2)).terms
    assert second is not None
    await sleep_until(env, paris_midnight(renewal_due_on(second.end_on, 2)))
    await until_status(handle, ContractStatus.RENEWAL_DUE, version=2)
    await act(handle, "decide_renewal", renew=False, note="Fin du projet")
    return await handle.result()


async def early_renewal_path(env: WorkflowEnvironment, handle: ContractHandle) -> ContractOutcome:
    """Signed and renewed at once, activated on its start date, the next term the day after
    the end (no renewal window for the first term), that term's renewal refused while active,
    its renewal window all the same, and the end of the contract."""
    first = await sign(handle)
    await act(handle, "decide_renewal", renew=True, note="Renouvelé dès la signature")
    await sleep_until(env, paris_midnight(first.start_on))
    await until_status(handle, ContractStatus.ACTIVE)
    await sleep_until(env, paris_midnight(first.end_on + timedelta(days=1)))
    second = (await until_status(handle, ContractStatus.ACTIVE, version=2)).terms
    assert second is not None
    await act(handle, "decide_renewal", renew=False, note="Fin du projet")
    await sleep_until(env, paris_midnight(renewal_due_on(second.end_on, 2)))
    await until_status(handle, ContractStatus.RENEWAL_DUE, version=2)
    return await handle.result()
