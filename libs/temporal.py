"""The process's one Temporal client, for the services (not for workflow code).

Services connect lazily so they start even when Temporal is down; a failed connection is
retried on the next call. Every client uses the pydantic data converter, like the worker, and
the SDK's OpenTelemetry interceptor: the trace context goes with each start, update and
query into Temporal's headers, and from there to the workflow and its activities (the worker
built on the client inherits it; libs.tracing). Every connection of a process (services,
worker, operations report) takes the same :class:`TemporalSecurity`, from the settings.
"""

import asyncio
from dataclasses import dataclass
from typing import Self

from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from libs.config import PlatformSettings

UNREACHABLE = (RPCTimeoutOrCancelledError, TimeoutError, RuntimeError, OSError)
"""Connecting fails with RuntimeError (core) or TimeoutError; a slow call with
RPCTimeoutOrCancelledError."""


@dataclass(frozen=True)
class TemporalSecurity:
    """TLS (server-checked, or mutual) and the API key of a Temporal connection; the default
    is a connection in clear, as to the embedded dev server."""

    tls: TLSConfig | bool = False
    api_key: str | None = None

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> Self:
        """``TEMPORAL_TLS*`` and ``TEMPORAL_API_KEY``; the files are read now, at start-up
        (the settings checked they exist)."""
        api_key = (
            settings.TEMPORAL_API_KEY.get_secret_value() if settings.TEMPORAL_API_KEY else None
        )
        if not settings.temporal_uses_tls:
            return cls(tls=False, api_key=api_key)
        ca, cert, key = (
            path.read_bytes() if path is not None else None
            for path in (
                settings.TEMPORAL_TLS_CA_FILE,
                settings.TEMPORAL_TLS_CERT_FILE,
                settings.TEMPORAL_TLS_KEY_FILE,
            )
        )
        tls = TLSConfig(
            server_root_ca_cert=ca,
            client_cert=cert,
            client_private_key=key,
            domain=settings.TEMPORAL_TLS_SERVER_NAME,
        )
        return cls(tls=tls, api_key=api_key)


async def connect(address: str, namespace: str, security: TemporalSecurity) -> Client:
    """A Temporal client that (de)serialises pydantic models."""
    return await Client.connect(
        address,
        namespace=namespace,
        tls=security.tls,
        api_key=security.api_key,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )


class TemporalConnection:
    """One Temporal client, connected on first use so a service starts even if Temporal is
    down; a failed connection is retried on the next call."""

    def __init__(
        self,
        address: str,
        namespace: str,
        connect_timeout: float = 10.0,
        *,
        security: TemporalSecurity = TemporalSecurity(),
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.connect_timeout = connect_timeout
        self.security = security
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> Self:
        """The services' connection: ``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE`` and the
        security settings."""
        return cls(
            settings.TEMPORAL_ADDRESS,
            settings.TEMPORAL_NAMESPACE,
            security=TemporalSecurity.from_settings(settings),
        )

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.wait_for(
                    connect(self.address, self.namespace, self.security), self.connect_timeout
                )
            return self._client
