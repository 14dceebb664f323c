"""Readiness probes for the dependencies selection talks to (database, Temporal)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client


class DatabaseProbe:
    """Ready when the database answers ``SELECT 1``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def __call__(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


class TemporalProbe:
    """Ready when the Temporal frontend reports itself serving.

    The client is connected once and reused: connecting on every probe would open a new
    gRPC channel each time the orchestrator asks.
    """

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._client: Client | None = None

    async def __call__(self) -> None:
        if self._client is None:
            self._client = await Client.connect(self.address, namespace=self.namespace)
        if not await self._client.service_client.check_health():
            raise ConnectionError("Temporal frontend is not serving")
