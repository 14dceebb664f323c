"""Readiness probes shared by every process: ``ReadinessCheck`` values for ``health_router``.

Each probe is a small callable that returns when its dependency answers and raises otherwise;
``health_router`` puts its own timeout around every call.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta

from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

TemporalClientGetter = Callable[[], Client | None | Awaitable[Client]]
"""Returns the process's own Temporal client (awaited if need be); None while not connected."""


class DatabaseProbe:
    """Ready when the database answers ``SELECT 1``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def __call__(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


class KafkaProbe:
    """Ready when the broker answers a ping and every subscriber has joined its group.

    A consumer that has no partitions yet (its group is still rebalancing) would leave
    messages waiting: the process is not ready to do its job until it has some.
    """

    def __init__(self, broker: KafkaBroker, timeout: float = 1.5) -> None:
        self.broker = broker
        self.timeout = timeout

    async def __call__(self) -> None:
        if not await self.broker.ping(timeout=self.timeout):
            raise ConnectionError("Kafka broker unreachable")
        for subscriber in self.broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None or not consumer.assignment():
                raise ConnectionError("a Kafka consumer has not joined its group yet")


class SmtpProbe:
    """Ready once the server greets with ``220``, as an SMTP client would see it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    async def __call__(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            greeting = await reader.readline()
            if not greeting.startswith(b"220"):
                raise ConnectionError(f"unexpected SMTP greeting {greeting[:40]!r}")
            writer.write(b"QUIT\r\n")
            await writer.drain()
            await reader.readline()
        finally:
            writer.close()
            await writer.wait_closed()


class TemporalProbe:
    """Ready when the Temporal frontend reports itself serving.

    It asks through the process's own client (``client=connection.client``, or
    ``client=lambda: client`` while that may still be None), never a connection of its own:
    one per probe would open a gRPC channel each time the orchestrator asks, and would have
    to repeat the process's TLS settings.
    """

    def __init__(
        self, *, client: Client | TemporalClientGetter, rpc_timeout: timedelta | None = None
    ) -> None:
        self.rpc_timeout = rpc_timeout
        self._client = client

    async def __call__(self) -> None:
        client = await self._current_client()
        if client is None:
            raise ConnectionError("Temporal is not connected yet")
        if not await client.service_client.check_health(timeout=self.rpc_timeout):
            raise ConnectionError("Temporal frontend is not serving")

    async def _current_client(self) -> Client | None:
        if isinstance(self._client, Client):
            return self._client
        found = self._client()
        return await found if inspect.isawaitable(found) else found
