"""A source that cannot be read is reported as such, in one readable line."""

import asyncio

from aiokafka.errors import KafkaConnectionError

from libs.operations.collect import _guarded
from libs.operations.report import ConsumerLag


async def test_an_unreachable_broker_is_named_once_with_its_reason() -> None:
    async def unreachable() -> ConsumerLag:
        raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")

    section = await _guarded(ConsumerLag, unreachable, timeout=5)

    assert section.error == "KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 9092)]"


async def test_a_source_slower_than_its_limit_is_reported_as_timed_out() -> None:
    async def stalled() -> ConsumerLag:
        await asyncio.Event().wait()
        return ConsumerLag()

    section = await _guarded(ConsumerLag, stalled, timeout=0.01)

    assert section.error == "timed out"
