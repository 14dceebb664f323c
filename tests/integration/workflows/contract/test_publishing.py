"""The publish activity, through the outbox and its relay, on a real Kafka broker: the topic,
the key and the type header."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from libs.database import create_engine, session_factory
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.messages.contract_events import (
    ContractEvent,
    ContractOfferReminderDue,
    ContractStatus,
    ContractStatusChanged,
)
from libs.messages.topics import CONTRACT_EVENTS, Headers
from libs.outbox.models import OutboxOrigin
from libs.outbox.relay import KafkaRecordPublisher, OutboxRelay, OutboxSignal
from libs.outbox.writer import OutboxWriter
from tests.integration.workflows.conftest import read_records
from tests.unit.workflows.contract.contracts import POLICY_7, contract_input
from workflows.contract.activities import ContractActivities
from workflows.contract.models import PublishContractEventInput
from workflows.contract.pay import terms
from workflows.metrics import OUTBOX_METRICS

pytestmark = pytest.mark.integration

EVENTS: TypeAdapter[ContractEvent] = TypeAdapter(ContractEvent)


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(
        KafkaConnection(kafka_bootstrap), client_id=f"contract-tests-{uuid.uuid4()}"
    )
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def test_contract_events_go_to_the_contract_topic_keyed_by_dossier(
    broker: KafkaBroker, kafka_bootstrap: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    contract = contract_input(contract_id=uuid.uuid4(), dossier_id=uuid.uuid4())
    drafted_terms = terms(
        POLICY_7, contract, contract_number="EIG-7-0042", start_on=date(2026, 4, 1)
    )
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    status_changed = ContractStatusChanged(
        dossier_id=contract.dossier_id,
        occurred_at=now,
        contract_id=contract.contract_id,
        status=ContractStatus.DRAFTED,
        terms=drafted_terms,
        contact=contract.contact,
    )
    reminder = ContractOfferReminderDue(
        dossier_id=contract.dossier_id,
        occurred_at=now,
        contract_id=contract.contract_id,
        terms=drafted_terms,
        contact=contract.contact,
        offer_expires_at=now,
    )
    signal = OutboxSignal()
    activities = ContractActivities(OutboxWriter(sessions, signal, OutboxOrigin.WORKFLOWS))

    for event in (status_changed, reminder, status_changed):  # the last: a retried activity
        await ActivityEnvironment().run(
            activities.publish_contract_event, PublishContractEventInput(event=event)
        )
    relay = OutboxRelay(
        sessions,
        KafkaRecordPublisher(lambda: broker),  # already connected: the fixture closes it
        signal,
        metrics=OUTBOX_METRICS,
        skip_locked=False,
        origin=OutboxOrigin.WORKFLOWS,
    )
    assert (await relay.relay_once()).published == 2

    records = await read_records(
        kafka_bootstrap, CONTRACT_EVENTS, str(contract.dossier_id).encode()
    )
    assert [EVENTS.validate_json(record.value) for record in records] == [status_changed, reminder]
    assert [dict(record.headers)[Headers.EVENT_TYPE] for record in records] == [
        b"ContractStatusChanged",
        b"ContractOfferReminderDue",
    ]
