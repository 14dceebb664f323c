"""The contracts read model fed by a real broker, on SQLite and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from faststream.kafka import KafkaBroker

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.kafka import create_broker, publish_event
from libs.kafka_connection import KafkaConnection
from libs.messages.contract_events import ContractStatus
from libs.messages.topics import CONTRACT_EVENTS, CONTRACTS_READ_MODEL_DLQ, Headers
from services.contracts.app import create_app
from services.contracts.bootstrap import bootstrap
from services.contracts.settings import ContractsSettings
from tests.eventually import eventually
from tests.integration.workflows.conftest import read_records, start_group_at_end
from tests.kafka_offsets import group_caught_up
from tests.unit.services.contracts.conftest import FakeContractWorkflows
from tests.unit.services.contracts.events import T0, ContractStory, terms
from workflows.client_errors import WorkflowsUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(
        KafkaConnection(kafka_bootstrap), client_id=f"contracts-tests-{uuid.uuid4()}"
    )
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


@asynccontextmanager
async def read_model_api(
    kafka_bootstrap: str, database_url: str, group: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The contracts service consuming as ``group``, its API answering from the read model
    alone (Temporal is away), with the dev staff tokens."""
    workflows = FakeContractWorkflows(snapshot_error=WorkflowsUnavailable("down"))
    service = bootstrap(
        ContractsSettings(
            _env_file=None,
            ENVIRONMENT=Environment.TEST,
            DATA_DIR=tmp_path,
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            CONTRACTS_CREATE_TABLES=True,
            CONTRACTS_READ_MODEL_CONSUMER_GROUP=group,
        ),
        contract_workflows=workflows,
    )
    tokens = write_dev_tokens(service.settings.dev_tokens_file)
    app = create_app(contracts_service=service)
    await service.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contracts") as http:
            yield http, tokens
    finally:
        await service.stop()


class TestReadModelFromKafka:
    async def test_events_are_projected_once_in_order_and_a_poison_message_is_set_aside(
        self,
        kafka_bootstrap: str,
        database_url: str,
        producer: KafkaBroker,
        tmp_path: Path,
    ) -> None:
        group = f"contracts-read-model-test-{uuid.uuid4()}"
        await start_group_at_end(kafka_bootstrap, group, CONTRACT_EVENTS)
        story = ContractStory()
        key = str(story.dossier_id).encode()
        drafted = story.changed(ContractStatus.DRAFTED, at=T0)
        offer = story.changed(
            ContractStatus.OFFER_SENT,
            at=T0 + timedelta(hours=1),
            action="send_offer",
            actor="dev-staff",
            offer_expires_at=T0 + timedelta(days=10),
        )
        # Published after the offer but stamped before it: must not move the contract back.
        late = story.changed(ContractStatus.DRAFTED, at=T0 + timedelta(minutes=30))
        async with read_model_api(kafka_bootstrap, database_url, group, tmp_path) as api:
            http, tokens = api
            for event in (drafted, offer, offer, late):
                await publish_event(producer, CONTRACT_EVENTS, event)
            await producer.publish(b"{not json", topic=CONTRACT_EVENTS, key=key)
            await eventually(
                lambda: group_caught_up(kafka_bootstrap, group, CONTRACT_EVENTS), timeout=40
            )

            detail = await http.get(
                f"/api/v1/contracts/{story.contract_id}",
                headers={"Authorization": f"Bearer {tokens['staff']}"},
            )
            listed = await http.get(
                "/api/v1/contracts",
                params={"dossier_id": str(story.dossier_id)},
                headers={"Authorization": f"Bearer {tokens['staff']}"},
            )

        assert detail.status_code == 200
        body = detail.json()
        assert (body["status"], body["state_source"]) == ("offer_sent", "read_model")
        assert [entry["status"] for entry in body["timeline"]] == [
            "drafted",
            "drafted",
            "offer_sent",
        ]
        assert listed.json()["total"] == 1
        dead = [
            record
            for record in await read_records(kafka_bootstrap, CONTRACTS_READ_MODEL_DLQ, key)
            if record.value == b"{not json"
        ]
        assert len(dead) == 1
        headers = dict(dead[0].headers)
        assert headers[Headers.DLQ_SOURCE_TOPIC] == CONTRACT_EVENTS.encode()

    async def test_a_nul_in_a_note_accepted_before_the_bounds_does_not_stall_the_partition(
        self,
        kafka_bootstrap: str,
        database_url: str,
        producer: KafkaBroker,
        tmp_path: Path,
    ) -> None:
        # Issue 9: PostgreSQL refused the row, the consumer retried it without end and the
        # partition stopped (the contract answer now refuses the note; events already on the
        # topic still hold it).
        group = f"contracts-read-model-test-{uuid.uuid4()}"
        await start_group_at_end(kafka_bootstrap, group, CONTRACT_EVENTS)
        story = ContractStory()
        offer = story.changed(ContractStatus.OFFER_SENT, at=T0, action="send_offer")
        declined = story.changed(
            ContractStatus.DECLINED,
            at=T0 + timedelta(hours=1),
            action="decline",
            actor="applicant",
            note="Non merci\u0000, un autre poste",
        )
        other = ContractStory()

        async with read_model_api(kafka_bootstrap, database_url, group, tmp_path) as api:
            http, tokens = api
            for event in (offer, declined, other.changed(ContractStatus.DRAFTED, at=T0)):
                await publish_event(producer, CONTRACT_EVENTS, event)
            await eventually(
                lambda: group_caught_up(kafka_bootstrap, group, CONTRACT_EVENTS), timeout=40
            )
            staff = {"Authorization": f"Bearer {tokens['staff']}"}
            detail = await http.get(f"/api/v1/contracts/{story.contract_id}", headers=staff)
            after = await http.get(f"/api/v1/contracts/{other.contract_id}", headers=staff)

        assert detail.status_code == 200
        body = detail.json()
        assert body["status"] == "declined"
        assert body["timeline"][-1]["note"] == "Non merci, un autre poste"
        assert after.json()["status"] == "drafted"
        dead = await read_records(
            kafka_bootstrap, CONTRACTS_READ_MODEL_DLQ, str(story.dossier_id).encode()
        )
        assert dead == []

    async def test_a_far_start_date_accepted_before_the_bounds_does_not_stall_the_partition(
        self,
        kafka_bootstrap: str,
        database_url: str,
        producer: KafkaBroker,
        tmp_path: Path,
    ) -> None:
        # Issue 9: 9999-01-04 passed the old validator; events already on the topic may hold
        # it. The read model stores it as it is (both databases) and the partition goes on.
        group = f"contracts-read-model-test-{uuid.uuid4()}"
        await start_group_at_end(kafka_bootstrap, group, CONTRACT_EVENTS)
        far = {"start_on": date(9999, 1, 4), "end_on": date(9999, 12, 31)}
        story = ContractStory(terms=terms().model_copy(update=far))
        other = ContractStory()

        async with read_model_api(kafka_bootstrap, database_url, group, tmp_path) as api:
            http, tokens = api
            events = (
                story.changed(ContractStatus.OFFER_SENT, at=T0, action="send_offer"),
                other.changed(ContractStatus.DRAFTED, at=T0),
            )
            for event in events:
                await publish_event(producer, CONTRACT_EVENTS, event)
            await eventually(
                lambda: group_caught_up(kafka_bootstrap, group, CONTRACT_EVENTS), timeout=40
            )
            staff = {"Authorization": f"Bearer {tokens['staff']}"}
            detail = await http.get(f"/api/v1/contracts/{story.contract_id}", headers=staff)
            after = await http.get(f"/api/v1/contracts/{other.contract_id}", headers=staff)

        assert detail.status_code == 200
        assert detail.json()["status"] == "offer_sent"
        assert detail.json()["terms"]["start_on"] == "9999-01-04"
        assert after.json()["status"] == "drafted"
        dead = await read_records(
            kafka_bootstrap, CONTRACTS_READ_MODEL_DLQ, str(story.dossier_id).encode()
        )
        assert dead == []
