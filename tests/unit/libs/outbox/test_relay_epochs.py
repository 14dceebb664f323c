"""After the broker lost its data (a new epoch), what it had acknowledged is published again."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, session_factory, transaction
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.outbox.relay import EventRecord, OutboxRelay, OutboxSignal, RelayMetrics


class SwitchableEpoch:
    def __init__(self, epoch: str | None) -> None:
        self.epoch = epoch

    def current(self) -> str | None:
        return self.epoch


class Recorder:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def __call__(self, topic: str, record: EventRecord) -> None:
        self.keys.append(record.key.decode())

    async def reset(self) -> None:
        pass


def relay_metrics() -> RelayMetrics:
    registry = CollectorRegistry()
    return RelayMetrics(
        pending=Gauge("pending", "", registry=registry),
        oldest_age=Gauge("oldest", "", registry=registry),
        published=Counter("published", "", registry=registry),
        failures=Counter("failures", "", registry=registry),
        republished=Counter("republished", "", registry=registry),
        producer_resets=Counter("producer_resets", "", registry=registry),
    )


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def add_rows(
    sessions: async_sessionmaker[AsyncSession], keys: list[str], origin: str
) -> None:
    async with transaction(sessions) as session:
        for key in keys:
            session.add(
                OutboxMessage(
                    event_id=uuid.uuid4(),
                    origin=origin,
                    topic="t",
                    key=key,
                    payload="{}",
                    headers={},
                    created_at=datetime.now(UTC),
                )
            )


def relay(
    sessions: async_sessionmaker[AsyncSession],
    publisher: Recorder,
    epochs: SwitchableEpoch,
    origin: str = OutboxOrigin.WORKFLOWS,
    window_seconds: float = 900.0,
) -> OutboxRelay:
    return OutboxRelay(
        sessions,
        publisher,
        OutboxSignal(),
        metrics=relay_metrics(),
        skip_locked=False,
        origin=origin,
        epochs=epochs,
        republish_window_seconds=window_seconds,
    )


async def sent_epochs(sessions: async_sessionmaker[AsyncSession]) -> list[str | None]:
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [row.sent_epoch for row in rows]


class TestEpochs:
    async def test_each_sent_row_records_the_epoch_it_was_acknowledged_under(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["a", "b"], OutboxOrigin.WORKFLOWS)
        await relay(sessions, Recorder(), SwitchableEpoch("e1")).relay_once()
        assert await sent_epochs(sessions) == ["e1", "e1"]

    async def test_a_new_epoch_publishes_again_what_the_lost_broker_had_acknowledged(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["a", "b"], OutboxOrigin.WORKFLOWS)
        publisher, epochs = Recorder(), SwitchableEpoch("e1")
        relay_ = relay(sessions, publisher, epochs)
        await relay_.relay_once()
        await relay_.relay_once()
        assert publisher.keys == ["a", "b"]

        epochs.epoch = "e2"
        outcome = await relay_.relay_once()

        assert outcome.published == 2
        assert publisher.keys == ["a", "b", "a", "b"]
        assert await sent_epochs(sessions) == ["e2", "e2"]
        assert relay_.metrics.republished._value.get() == 2

    async def test_the_same_epoch_after_a_restart_publishes_nothing_again(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["a"], OutboxOrigin.WORKFLOWS)
        await relay(sessions, Recorder(), SwitchableEpoch("e1")).relay_once()
        publisher = Recorder()
        await relay(sessions, publisher, SwitchableEpoch("e1")).relay_once()
        assert publisher.keys == []

    async def test_a_broker_lost_while_the_relay_was_down_is_repaired_at_start(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["a"], OutboxOrigin.WORKFLOWS)
        await relay(sessions, Recorder(), SwitchableEpoch("e1")).relay_once()
        publisher = Recorder()
        await relay(sessions, publisher, SwitchableEpoch("e2")).relay_once()
        assert publisher.keys == ["a"]

    async def test_rows_older_than_the_window_are_left_alone(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["old"], OutboxOrigin.WORKFLOWS)
        await relay(sessions, Recorder(), SwitchableEpoch("e1")).relay_once()
        async with transaction(sessions) as session:
            row = (await session.exec(select(OutboxMessage))).one()
            assert row.sent_at is not None
            row.sent_at = row.sent_at - timedelta(hours=2)
            session.add(row)
        publisher = Recorder()
        await relay(sessions, publisher, SwitchableEpoch("e2"), window_seconds=3600).relay_once()
        assert publisher.keys == []

    async def test_each_relay_publishes_and_requeues_only_its_own_origin(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await add_rows(sessions, ["intake"], OutboxOrigin.INTAKE)
        await add_rows(sessions, ["workflows"], OutboxOrigin.WORKFLOWS)
        workflows, intake = Recorder(), Recorder()
        await relay(sessions, workflows, SwitchableEpoch("e1")).relay_once()
        await relay(sessions, intake, SwitchableEpoch("e1"), OutboxOrigin.INTAKE).relay_once()
        assert (workflows.keys, intake.keys) == (["workflows"], ["intake"])

        again = Recorder()
        await relay(sessions, again, SwitchableEpoch("e2")).relay_once()
        assert again.keys == ["workflows"]
