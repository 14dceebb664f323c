"""Contract workflows to test against: stand-in activities, actions, waits, the full path."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from libs.messages.contract_events import (
    ContractStatus,
    ContractTerms,
)
from tests.eventually import eventually
from tests.time_skipping import skip_time
from tests.unit.workflows.dossier.dossiers import wait_until_idle
from workflows.contract.models import (
    APPLY_CONTRACT_ACTION,
    CONTRACT_SNAPSHOT,
    ContractActionRequest,
    ContractActionResult,
    ContractInput,
    ContractOutcome,
    ContractSnapshot,
    contract_workflow_id,
)
from workflows.contract.workflows import ContractWorkflow
from workflows.contract.working_days import paris_midnight, renewal_due_on

ContractHandle = WorkflowHandle[ContractWorkflow, ContractOutcome]


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
    await skip_time(env, max(at - now, timedelta(0)) + timedelta(minutes=1))


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
