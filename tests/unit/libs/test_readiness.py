"""The shared readiness probes: each returns when its dependency answers and raises otherwise."""

import pytest

from libs.database import create_engine
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.readiness import DatabaseProbe, KafkaProbe, TemporalProbe


async def test_the_database_probe_passes_when_the_database_answers(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await DatabaseProbe(engine)()
    finally:
        await engine.dispose()


async def test_the_kafka_probe_raises_while_the_broker_is_not_connected() -> None:
    broker = create_broker(KafkaConnection("127.0.0.1:1"), client_id="readiness-test")

    with pytest.raises(ConnectionError):
        await KafkaProbe(broker, timeout=0.1)()


async def test_the_temporal_probe_raises_while_the_process_has_no_client_yet() -> None:
    with pytest.raises(ConnectionError):
        await TemporalProbe(client=lambda: None)()
