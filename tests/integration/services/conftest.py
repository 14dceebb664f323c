"""What the services' integration tests share: a publisher on the session's broker, and a
consumer group of each test's own for the notifications (the topics hold other tests' events)."""

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker

from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection


@pytest.fixture(scope="module")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(KafkaConnection(kafka_bootstrap), client_id="notifications-tests")
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture
def group_id() -> str:
    return f"notifications-test-{uuid4().hex[:12]}"
