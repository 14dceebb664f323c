"""Refused contract actions on the real Temporal server: not a single event is written."""

import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.contract_events import ContractStatus
from tests.integration.workflows.contract.contracts import act, start_contract
from tests.unit.workflows.contract.contracts import contract_input
from tests.unit.workflows.contract.stand_ins import ContractStandIns
from workflows.contract.workflows import CONTRACT_WORKFLOWS

pytestmark = pytest.mark.integration


async def test_refused_actions_leave_the_history_untouched_and_an_accepted_one_is_an_update(
    temporal_dev_server: WorkflowEnvironment,
) -> None:
    client = temporal_dev_server.client
    task_queue = f"contract-refusals-{uuid.uuid4()}"
    stand_ins = ContractStandIns()
    contract = contract_input(
        contract_id=uuid.uuid4(),
        dossier_id=uuid.uuid4(),
        selected_at=await temporal_dev_server.get_current_time(),
    )
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=CONTRACT_WORKFLOWS,
        activities=stand_ins.activities(),
    ):
        handle = await start_contract(temporal_dev_server, task_queue, contract)
        try:
            before = await handle.fetch_history()
            refusals = []
            for action, payload in [
                ("sign", {}),
                ("accept", {}),
                ("send_offer", {"notes": "typo"}),
                ("set_start_date", {"start_on": "2020-01-06"}),
            ]:
                with pytest.raises(WorkflowUpdateFailedError) as failed:
                    await act(handle, action, **payload)
                assert isinstance(failed.value.cause, ApplicationError)
                refusals.append(failed.value.cause.type)
            after_refusals = await handle.fetch_history()

            sent = await act(handle, "send_offer")
            after_offer = await handle.fetch_history()
        finally:
            await handle.terminate()

    assert refusals == [
        "UnknownAction",
        "ActionNotAllowed",
        "InvalidActionBody",
        "InvalidActionBody",
    ]
    # Not even the workflow task that ran the validator is kept.
    assert after_refusals.events == before.events
    assert sent.status == ContractStatus.OFFER_SENT
    accepted = [
        event
        for event in after_offer.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 1
    assert [event.status for event in stand_ins.log.status_changes()] == [
        ContractStatus.DRAFTED,
        ContractStatus.OFFER_SENT,
    ]
