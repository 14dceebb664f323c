"""The relay publishes accepted applications to Kafka, and catches up after a broker outage."""

import asyncio
import json
from uuid import UUID

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import TypeAdapter
from sqlmodel import col, select

from libs.database import create_engine, session_factory
from libs.kafka import ensure_topics
from libs.kafka_connection import KafkaConnection
from libs.messages.applications import (
    ApplicationReceived,
    ApplicationSubmitted,
    CandidateApplicationSubmitted,
)
from libs.messages.topics import APPLICATIONS, PARTITIONS, Headers
from libs.outbox.models import OutboxMessage
from libs.outbox.relay import EventRecord, OutboxRelay, OutboxSignal
from services.intake import metrics
from services.intake.bootstrap import Intake
from services.intake.repository import OutboxRepository
from services.intake.service_layer import submit_application
from tests.eventually import eventually
from tests.integration.services.intake.conftest import (
    RunningIntake,
    create_tables,
    intake_settings,
    records_keyed,
    running_intake,
)
from tests.own_broker import OwnBroker
from tests.unit.services.intake.forms import (
    CANDIDATES,
    candidate_body,
    candidate_form,
    confirm_email,
)

pytestmark = pytest.mark.integration

SUBMITTED: TypeAdapter[ApplicationSubmitted] = TypeAdapter(ApplicationSubmitted)


async def submission_row(intake: Intake, dossier_id: str) -> OutboxMessage:
    """The submission's row (written at the confirmation, after the received one)."""
    async with intake.sessions() as session:
        row = await OutboxRepository(session).submission_of(UUID(dossier_id))
    assert row is not None
    return row


async def applied_and_confirmed(running: RunningIntake) -> str:
    response = await running.client.post(CANDIDATES, json=candidate_body())
    assert response.status_code == 202
    dossier_id: str = response.json()["dossier_id"]
    confirmed = await confirm_email(running.client, running.intake.link_keys, dossier_id)
    assert confirmed.status_code == 303
    return dossier_id


async def test_an_accepted_application_is_published_keyed_by_dossier_and_marked_sent(
    database_url: str, kafka_bootstrap: str
) -> None:
    settings = intake_settings(database_url, kafka_bootstrap, STATUS_VIEW_ENABLED=False)
    async with running_intake(settings) as running:
        dossier_id = await applied_and_confirmed(running)

        async def sent() -> OutboxMessage | None:
            row = await submission_row(running.intake, dossier_id)
            return row if row.sent_at is not None else None

        row = await eventually(sent)
        assert row is not None

    received, record = await records_keyed(kafka_bootstrap, APPLICATIONS, dossier_id, at_least=2)
    request = ApplicationReceived.model_validate_json(received.value)
    assert request.dossier_id == UUID(dossier_id)
    event = SUBMITTED.validate_json(record.value)
    assert isinstance(event, CandidateApplicationSubmitted)
    assert event.dossier_id == UUID(dossier_id)
    assert event.event_id == row.event_id
    headers = {name: value.decode() for name, value in record.headers}
    assert headers[Headers.EVENT_TYPE] == "CandidateApplicationSubmitted"
    assert headers[Headers.SCHEMA_VERSION] == "1"
    assert row.attempts == 1


async def test_a_broker_outage_delays_publishing_but_loses_nothing(
    database_url: str, own_broker: OwnBroker
) -> None:
    settings = intake_settings(database_url, own_broker.bootstrap, STATUS_VIEW_ENABLED=False)
    async with running_intake(settings) as running:
        before_id = await applied_and_confirmed(running)
        await eventually(lambda: _is_sent(running.intake, before_id), timeout=30)

        await own_broker.stop()
        # Applied and confirmed during the outage: both wait in the outbox.
        during_id = await applied_and_confirmed(running)

        async def failed_at_least_once() -> bool:
            # The relay publishes in order and stops at the first failure: the confirmation
            # request's row, written first, is the one tried.
            async with running.intake.sessions() as session:
                statement = (
                    select(OutboxMessage)
                    .where(col(OutboxMessage.key) == during_id)
                    .order_by(col(OutboxMessage.id))
                )
                row = (await session.exec(statement)).first()
            assert row is not None
            return row.sent_at is None and row.attempts >= 1

        await eventually(failed_at_least_once, timeout=30)
        also_during_id = await applied_and_confirmed(running)

        await own_broker.start()
        await eventually(lambda: _is_sent(running.intake, during_id), timeout=60)
        await eventually(lambda: _is_sent(running.intake, also_during_id), timeout=30)

    _, record = await records_keyed(own_broker.bootstrap, APPLICATIONS, during_id, at_least=2)
    assert SUBMITTED.validate_json(record.value).dossier_id == UUID(during_id)


async def test_after_a_broker_restart_the_relay_creates_the_topics_before_writing_to_them(
    sqlite_url: str, own_broker: OwnBroker
) -> None:
    """Seen in CI's outage drill: after a restart, a producer with cached metadata wrote to a
    topic the embedded broker had not created yet; when the launcher then created it, Tansu
    reset its offsets and refused every write at an offset already taken, for minutes."""
    settings = intake_settings(sqlite_url, own_broker.bootstrap, STATUS_VIEW_ENABLED=False)
    async with running_intake(settings) as running:
        before_id = await applied_and_confirmed(running)
        await eventually(lambda: _is_sent(running.intake, before_id), timeout=30)
        await own_broker.stop()
        during_id = await applied_and_confirmed(running)

        async def failed_at_least_once() -> bool:
            rows = await rows_keyed(running.intake, during_id)
            return any(row.sent_at is None and row.attempts >= 1 for row in rows)

        await eventually(failed_at_least_once, timeout=30)
        await own_broker.start(create_topics=False)
        await eventually(lambda: _is_sent(running.intake, during_id), timeout=60)

    # What the launcher does once the restarted broker answers: a no-op, the topics exist.
    await ensure_topics(KafkaConnection(own_broker.bootstrap))
    producer = AIOKafkaProducer(bootstrap_servers=own_broker.bootstrap, acks="all")
    await producer.start()
    try:
        for partition in range(PARTITIONS[APPLICATIONS]):
            # Before the fix, the partition written to before the creation refused this.
            await producer.send_and_wait(APPLICATIONS, b"{}", partition=partition)
    finally:
        await producer.stop()
    records = await records_keyed(own_broker.bootstrap, APPLICATIONS, during_id, at_least=2)
    submitted = [r for r in records if b"Submitted" in dict(r.headers)[Headers.EVENT_TYPE]]
    assert [SUBMITTED.validate_json(r.value).dossier_id for r in submitted] == [UUID(during_id)]


async def rows_keyed(intake: Intake, dossier_id: str) -> list[OutboxMessage]:
    async with intake.sessions() as session:
        statement = select(OutboxMessage).where(col(OutboxMessage.key) == dossier_id)
        return list((await session.exec(statement)).all())


async def _is_sent(intake: Intake, dossier_id: str) -> bool:
    return (await submission_row(intake, dossier_id)).sent_at is not None


class SlowPublisher:
    """Holds each publish until released, so two relays overlap for sure."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.waiting = 0
        self.release = asyncio.Event()

    async def __call__(self, topic: str, record: EventRecord) -> None:
        self.waiting += 1
        await self.release.wait()
        self.published.append(json.loads(record.value)["event_id"])

    async def reset(self) -> None:
        pass


async def test_two_relays_on_postgresql_never_publish_a_row_twice(postgres_url: str) -> None:
    await create_tables(postgres_url)
    settings = intake_settings(postgres_url, "unused:9092")
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    try:
        for _ in range(6):
            await submit_application(sessions, candidate_form())
        publisher = SlowPublisher()
        relays = [
            OutboxRelay(
                sessions,
                publisher,
                OutboxSignal(),
                metrics=metrics.OUTBOX_METRICS,
                skip_locked=True,
                batch_size=3,
            )
            for _ in range(2)
        ]
        rounds = [asyncio.create_task(relay.relay_once()) for relay in relays]

        async def both_publishing_at_once() -> bool:
            # Each relay holds its claimed rows locked while it waits on its first publish.
            return publisher.waiting >= 2

        await eventually(both_publishing_at_once)
        publisher.release.set()
        outcomes = await asyncio.gather(*rounds)

        assert sorted(outcome.published for outcome in outcomes) == [3, 3]
        assert len(publisher.published) == len(set(publisher.published)) == 6
    finally:
        await engine.dispose()


async def test_a_broker_that_came_back_empty_gets_the_submissions_it_had_acknowledged(
    sqlite_url: str, own_broker: OwnBroker
) -> None:
    settings = intake_settings(
        sqlite_url, own_broker.bootstrap, STATUS_VIEW_ENABLED=False, BROKER_EPOCH_CHECK_SECONDS=0.5
    )
    async with running_intake(settings) as running:
        watcher = running.intake.epoch_watcher
        assert watcher is not None
        first_epoch = await asyncio.wait_for(watcher.first_read(), timeout=60)
        dossier_id = await applied_and_confirmed(running)
        await eventually(lambda: _is_sent(running.intake, dossier_id), timeout=30)
        assert (await submission_row(running.intake, dossier_id)).sent_epoch == first_epoch

        await own_broker.restart()  # memory storage: the record is gone with the process

        async def sent_under_a_new_epoch() -> bool:
            row = await submission_row(running.intake, dossier_id)
            return row.sent_at is not None and row.sent_epoch not in (None, first_epoch)

        await eventually(sent_under_a_new_epoch, timeout=60)

    # Both rows again (the confirmation request's copy is deduplicated by notifications).
    records = await records_keyed(own_broker.bootstrap, APPLICATIONS, dossier_id, at_least=2)
    submitted = [r for r in records if b"Submitted" in dict(r.headers)[Headers.EVENT_TYPE]]
    assert [SUBMITTED.validate_json(r.value).dossier_id for r in submitted] == [UUID(dossier_id)]
