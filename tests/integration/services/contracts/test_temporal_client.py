"""The contract workflows' client and the contracts API against a real Temporal server."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.dossier_links import Purpose
from libs.messages.contract_events import ContractStatus
from libs.temporal import TemporalConnection
from services.contracts.app import create_app
from services.contracts.bootstrap import bootstrap
from services.contracts.settings import ContractsSettings
from tests.integration.services.contracts.stand_in import StandInContractWorkflow
from tests.unit.services.contracts.events import ContractStory
from workflows.client_errors import ActionNotAllowed, InvalidActionBody, UnknownAction
from workflows.contract.client import ContractNotFound, TemporalContractWorkflows
from workflows.contract.models import (
    ContractActionRequest,
    ContractSnapshot,
    contract_workflow_id,
)

pytestmark = pytest.mark.integration


@dataclass
class Running:
    client: Client
    task_queue: str
    adapter: TemporalContractWorkflows

    async def start(
        self, story: ContractStory
    ) -> WorkflowHandle[StandInContractWorkflow, list[str]]:
        return await self.client.start_workflow(
            StandInContractWorkflow.run,
            ContractSnapshot(
                contract_id=story.contract_id,
                dossier_id=story.dossier_id,
                status=ContractStatus.DRAFTED,
                terms=story.terms,
            ),
            id=contract_workflow_id(story.contract_id),
            task_queue=self.task_queue,
        )


@pytest.fixture
async def running(temporal_dev_server: WorkflowEnvironment) -> AsyncIterator[Running]:
    client = temporal_dev_server.client
    task_queue = f"contracts-client-{uuid.uuid4()}"
    address = client.service_client.config.target_host
    adapter = TemporalContractWorkflows(TemporalConnection(address, client.namespace))
    async with Worker(client, task_queue=task_queue, workflows=[StandInContractWorkflow]):
        yield Running(client, task_queue, adapter)


def action(name: str, **payload: object) -> ContractActionRequest:
    return ContractActionRequest(action=name, actor="dev-staff", payload=payload)


class TestTemporalContractWorkflows:
    async def test_an_action_applies_once_per_update_id_and_refusals_are_translated(
        self, running: Running
    ) -> None:
        story = ContractStory()
        handle = await running.start(story)
        adapter = running.adapter

        sent = await adapter.apply_action(story.contract_id, action("send_offer"), update_id="u1")
        again = await adapter.apply_action(story.contract_id, action("send_offer"), update_id="u1")
        with pytest.raises(ActionNotAllowed) as not_allowed:
            await adapter.apply_action(story.contract_id, action("countersign"), update_id="u2")
        with pytest.raises(InvalidActionBody) as invalid:
            await adapter.apply_action(
                story.contract_id, action("decline", note=["no"]), update_id="u3"
            )
        with pytest.raises(UnknownAction):
            await adapter.apply_action(story.contract_id, action("tear_up"), update_id="u4")
        snapshot = await adapter.snapshot(story.contract_id)

        assert (sent.status, sent.allowed_actions) == ("offer_sent", ["accept", "decline"])
        assert again == sent
        assert (not_allowed.value.status, not_allowed.value.allowed_actions) == (
            "offer_sent",
            ["accept", "decline"],
        )
        assert [error["field"] for error in invalid.value.errors] == ["note"]
        assert snapshot is not None
        assert (snapshot.status, snapshot.dossier_id) == ("offer_sent", story.dossier_id)
        await adapter.apply_action(story.contract_id, action("decline"), update_id="u5")
        assert await handle.result() == ["send_offer", "decline"]

    async def test_a_closed_contract_refuses_with_its_final_status_and_an_unknown_one_is_not_found(
        self, running: Running
    ) -> None:
        story = ContractStory()
        handle = await running.start(story)
        await running.adapter.apply_action(story.contract_id, action("send_offer"), update_id="a")
        await running.adapter.apply_action(story.contract_id, action("decline"), update_id="b")
        await handle.result()

        with pytest.raises(ActionNotAllowed) as closed:
            await running.adapter.apply_action(story.contract_id, action("accept"), update_id="c")
        with pytest.raises(ContractNotFound):
            await running.adapter.apply_action(uuid.uuid4(), action("accept"), update_id="d")

        assert (closed.value.status, closed.value.allowed_actions) == ("declined", [])
        assert await running.adapter.snapshot(uuid.uuid4()) is None


class TestApiOnTemporal:
    async def test_staff_offer_then_the_eig_accepts_then_a_second_offer_is_a_conflict(
        self, running: Running, sqlite_url: str, tmp_path: Path
    ) -> None:
        story = ContractStory()
        await running.start(story)
        service = bootstrap(
            ContractsSettings(
                _env_file=None,
                ENVIRONMENT=Environment.TEST,
                DATA_DIR=tmp_path,
                DATABASE_URL=sqlite_url,
                TEMPORAL_ADDRESS=running.client.service_client.config.target_host,
                TEMPORAL_NAMESPACE=running.client.namespace,
                CONTRACTS_CREATE_TABLES=True,
                CONTRACTS_READ_MODEL_ENABLED=False,
            )
        )
        tokens = write_dev_tokens(service.settings.dev_tokens_file)
        staff = {"Authorization": f"Bearer {tokens['staff']}"}
        link = {"token": service.link_keys.token(Purpose.ANSWER_OFFER, story.dossier_id)}
        app = create_app(contracts_service=service)
        await service.start()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://contracts") as http:
                base = f"/api/v1/contracts/{story.contract_id}"
                offer = await http.post(f"{base}/actions/send_offer", json={}, headers=staff)
                accepted = await http.post(f"{base}/accept", params=link)
                detail = await http.get(base, headers=staff)
                again = await http.post(f"{base}/actions/send_offer", json={}, headers=staff)
                pdf = await http.get(f"{base}/document.pdf", params=link)
        finally:
            await service.stop()

        assert (offer.status_code, offer.json()["status"]) == (200, "offer_sent")
        assert accepted.json() == {
            "contract_id": str(story.contract_id),
            "status": "accepted",
            "allowed_actions": ["countersign"],
        }
        assert (detail.json()["state_source"], detail.json()["status"]) == ("workflow", "accepted")
        assert again.status_code == 409
        assert (again.json()["status"], again.json()["allowed_actions"]) == (
            "accepted",
            ["countersign"],
        )
        assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
