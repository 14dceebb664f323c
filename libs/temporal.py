"""The process's one Temporal client, for the services (not for workflow code).

Services connect lazily so they start even when Temporal is down; a failed connection is
retried on the next call. Every client uses the pydantic data converter, like the worker.
"""

import asyncio

from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.contrib.pydantic import pydantic_data_converter

UNREACHABLE = (RPCTimeoutOrCancelledError, TimeoutError, RuntimeError, OSError)
"""Connecting fails with RuntimeError (core) or TimeoutError; a slow call with
RPCTimeoutOrCancelledError."""


async def connect(address: str, namespace: str) -> Client:
    """A Temporal client that (de)serialises pydantic models."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


class TemporalConnection:
    """One Temporal client, connected on first use so a service starts even if Temporal is
    down; a failed connection is retried on the next call."""

    def __init__(self, address: str, namespace: str, connect_timeout: float = 10.0) -> None:
        self.address = address
        self.namespace = namespace
        self.connect_timeout = connect_timeout
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.wait_for(
                    connect(self.address, self.namespace), self.connect_timeout
                )
            return self._client
