"""The relay publishes pending rows in order and marks them sent only once acknowledged."""

import asyncio
import contextlib
from typing import cast
from uuid import UUID

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    UnknownError,
)
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from sqlmodel import col, select

from libs.messages.topics import APPLICATIONS
from libs.outbox.models import OutboxMessage
from libs.outbox.relay import EventRecord, KafkaRecordPublisher, OutboxRelay, OutboxSignal
from services.intake import metrics
from services.intake.bootstrap import Intake
from services.intake.service_layer import submit_application
from tests.eventually import eventually
from tests.unit.services.intake.forms import candidate_form


class RecordingPublisher:
    def __init__(self, fail_on_call: int | None = None) -> None:
        self.records: list[tuple[str, EventRecord]] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    async def __call__(self, topic: str, record: EventRecord) -> None:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise ConnectionError("broker unreachable")
        self.records.append((topic, record))

    async def reset(self) -> None:
        pass


async def outbox_rows(intake: Intake) -> list[OutboxMessage]:
    async with intake.sessions() as session:
        statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list((await session.exec(statement)).all())


async def submit(intake: Intake, count: int) -> list[UUID]:
    return [
        (await submit_application(intake.sessions, candidate_form())).dossier_id
        for _ in range(count)
    ]


def relay(intake: Intake, publisher: RecordingPublisher, batch_size: int = 100) -> OutboxRelay:
    return OutboxRelay(
        intake.sessions,
        publisher,
        OutboxSignal(),
        metrics=metrics.OUTBOX_METRICS,
        skip_locked=False,
        batch_size=batch_size,
    )


class TestPublishing:
    async def test_rows_are_published_in_order_keyed_by_dossier_and_marked_sent(
        self, intake: Intake
    ) -> None:
        dossier_ids = await submit(intake, 3)
        publisher = RecordingPublisher()

        outcome = await relay(intake, publisher).relay_once()

        assert (outcome.published, outcome.failed) == (3, False)
        assert [topic for topic, _ in publisher.records] == [APPLICATIONS] * 3
        assert [record.key for _, record in publisher.records] == [
            str(dossier_id).encode() for dossier_id in dossier_ids
        ]
        rows = await outbox_rows(intake)
        assert all(row.sent_at is not None for row in rows)
        assert [record.value.decode() for _, record in publisher.records] == [
            row.payload for row in rows
        ]

    async def test_sent_rows_are_not_published_again(self, intake: Intake) -> None:
        await submit(intake, 2)
        publisher = RecordingPublisher()
        await relay(intake, publisher).relay_once()
        await relay(intake, publisher).relay_once()
        assert publisher.calls == 2

    async def test_a_full_batch_asks_for_another_round(self, intake: Intake) -> None:
        await submit(intake, 3)
        outcome = await relay(intake, RecordingPublisher(), batch_size=2).relay_once()
        assert (outcome.published, outcome.batch_full) == (2, True)


class TestBrokerFailure:
    async def test_the_failed_row_and_those_after_it_stay_pending(self, intake: Intake) -> None:
        await submit(intake, 3)
        publisher = RecordingPublisher(fail_on_call=2)

        outcome = await relay(intake, publisher).relay_once()

        assert (outcome.published, outcome.failed) == (1, True)
        first, second, third = await outbox_rows(intake)
        assert first.sent_at is not None
        assert (second.sent_at, second.attempts) == (None, 1)
        assert second.last_error == "ConnectionError: broker unreachable"
        assert (third.sent_at, third.attempts) == (None, 0)

    async def test_the_next_round_catches_up_in_order(self, intake: Intake) -> None:
        dossier_ids = await submit(intake, 3)
        publisher = RecordingPublisher(fail_on_call=2)
        await relay(intake, publisher).relay_once()

        await relay(intake, publisher).relay_once()

        assert [record.key for _, record in publisher.records] == [
            str(dossier_id).encode() for dossier_id in dossier_ids
        ]
        assert all(row.sent_at is not None for row in await outbox_rows(intake))


async def test_the_signal_wakes_a_waiting_relay_at_once() -> None:
    signal = OutboxSignal()
    waiter = asyncio.create_task(signal.wait(timeout=30))
    await asyncio.sleep(0)
    signal.notify()
    await asyncio.wait_for(waiter, timeout=1)
    assert waiter.done()


@pytest.mark.parametrize("failures", [1, 3, 20])
def test_backoff_grows_but_stays_capped(intake: Intake, failures: int) -> None:
    relay_ = OutboxRelay(
        intake.sessions,
        RecordingPublisher(),
        OutboxSignal(),
        metrics=metrics.OUTBOX_METRICS,
        skip_locked=False,
        max_backoff_seconds=4.0,
    )
    assert 0 < relay_.backoff.delay(failures) <= 4.0
    assert relay_.backoff.delay(failures + 1) >= relay_.backoff.delay(failures)


class WedgedProducer:
    """Fails every publish like aiokafka's producer after a broker restart, until reset."""

    def __init__(self, wedged: bool = True) -> None:
        self.wedged = wedged
        self.resets = 0
        self.published: list[bytes] = []
        self.failures_before_first_reset = 0

    async def __call__(self, topic: str, record: EventRecord) -> None:
        if self.wedged:
            if self.resets == 0:
                self.failures_before_first_reset += 1
            raise RuntimeError("UnknownError [Error -1]")
        self.published.append(record.key)

    async def reset(self) -> None:
        self.resets += 1
        self.wedged = False  # a new producer reaches the broker that came back


def resets_counted() -> float:
    return REGISTRY.get_sample_value("intake_outbox_producer_resets_total") or 0.0


class TestProducerReset:
    async def test_a_relay_whose_producer_keeps_failing_replaces_it_and_catches_up(
        self, intake: Intake
    ) -> None:
        dossier_ids = await submit(intake, 2)
        producer = WedgedProducer()
        relay_ = OutboxRelay(
            intake.sessions,
            producer,
            OutboxSignal(),
            metrics=metrics.OUTBOX_METRICS,
            skip_locked=False,
            max_backoff_seconds=0.01,
            reset_after_failures=3,
        )
        resets_before = resets_counted()
        running = asyncio.create_task(relay_.run())
        try:

            async def all_sent() -> bool:
                return all(row.sent_at is not None for row in await outbox_rows(intake))

            await eventually(all_sent, timeout=30)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

        assert producer.failures_before_first_reset == 3
        assert producer.published == [str(dossier_id).encode() for dossier_id in dossier_ids]
        assert resets_counted() == resets_before + 1
        assert producer.resets == 2  # the one after three failures, and the one on stopping

    async def test_a_relay_that_publishes_keeps_its_producer(self, intake: Intake) -> None:
        await submit(intake, 2)
        producer = WedgedProducer(wedged=False)
        relay_ = relay(intake, RecordingPublisher())
        relay_.publish = producer

        await relay_.relay_once()
        await relay_.relay_once()

        assert (len(producer.published), producer.resets) == (2, 0)


class RefusingPublisher:
    """Answers like a broker that is up but refuses the record (``refusal``), then accepts."""

    def __init__(self, refusal: Exception, times: int) -> None:
        self.refusal = refusal
        self.left = times
        self.published: list[bytes] = []

    async def __call__(self, topic: str, record: EventRecord) -> None:
        if self.left:
            self.left -= 1
            raise self.refusal
        self.published.append(record.key)

    async def reset(self) -> None:
        pass


class TestRetryPace:
    @pytest.mark.parametrize(
        ("error", "refused"),
        [
            (UnknownError(), True),
            (NodeNotReadyError(), False),
            (KafkaConnectionError(), False),
            (KafkaTimeoutError(), False),
            (RuntimeError("database"), False),
        ],
    )
    async def test_a_broker_s_refusal_is_retried_soon_an_outage_after_a_growing_backoff(
        self, intake: Intake, error: Exception, refused: bool
    ) -> None:
        await submit(intake, 1)
        relay_ = relay(intake, RecordingPublisher())
        relay_.publish = RefusingPublisher(error, times=1)

        outcome = await relay_.relay_once()

        assert (outcome.failed, outcome.refused) == (True, refused)
        after_ten = relay_.delay_after(outcome, 10)
        assert after_ten == (1.0 if refused else 30.0)
        assert (await relay_.relay_once()).published == 1


class FakeBroker:
    def __init__(self, connects: bool = True) -> None:
        self.connects = connects
        self.connected = self.stopped = False
        self.published: list[str] = []

    async def connect(self) -> None:
        if not self.connects:
            raise ConnectionError("broker unreachable")
        self.connected = True

    async def publish(
        self, value: bytes, *, topic: str, key: bytes, headers: dict[str, str]
    ) -> None:
        assert self.connected and not self.stopped
        self.published.append(topic)

    async def stop(self) -> None:
        self.stopped = True


class TestKafkaRecordPublisher:
    RECORD = EventRecord(value=b"{}", key=b"k", headers={})

    async def test_it_connects_once_and_a_reset_opens_a_new_producer(self) -> None:
        built: list[FakeBroker] = []

        def new_broker() -> KafkaBroker:
            built.append(FakeBroker())
            return cast(KafkaBroker, built[-1])

        publisher = KafkaRecordPublisher(new_broker)
        await publisher(APPLICATIONS, self.RECORD)
        await publisher(APPLICATIONS, self.RECORD)
        await publisher.reset()
        await publisher(APPLICATIONS, self.RECORD)

        first, second = built
        assert (first.published, first.stopped) == ([APPLICATIONS] * 2, True)
        assert (second.published, second.stopped) == ([APPLICATIONS], False)

    async def test_a_producer_that_could_not_connect_is_closed_and_built_again(self) -> None:
        built = [FakeBroker(connects=False), FakeBroker()]
        brokers = iter(built)
        publisher = KafkaRecordPublisher(lambda: cast(KafkaBroker, next(brokers)))

        with pytest.raises(ConnectionError):
            await publisher(APPLICATIONS, self.RECORD)
        await publisher(APPLICATIONS, self.RECORD)

        assert built[0].stopped and built[1].published == [APPLICATIONS]
