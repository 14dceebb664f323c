"""How a service's HTTP process is built and served: one FastAPI shape, one uvicorn setup."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware, install_error_handlers
from libs.kafka import keep_starting, try_starting
from libs.observability import ReadinessCheck, configure_logging, health_router
from libs.readiness import DatabaseProbe, KafkaProbe

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP requests by method, route template (never the dossier id itself) and status code",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of requests no route matched: their paths would make a label per URL."""


class RequestDuration:
    """Times every HTTP request under its route's template (``/api/v1/dossiers/{dossier_id}``),
    which the router leaves in the scope once it matched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            HTTP_REQUEST_DURATION.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


class ServiceParts(Protocol):
    """What a service's lifespan runs: built by its bootstrap, started and stopped with it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BrokeredParts:
    """Start, stop and readiness of parts whose API answers from the database, with an optional
    Kafka broker and background tasks. A mixin for the services' (dataclass) parts, which give
    ``engine``, ``broker`` and ``_tasks`` (``field(default_factory=list)``)."""

    engine: AsyncEngine
    broker: KafkaBroker | None
    _tasks: list[asyncio.Task[None]]

    async def start_parts(self, *, name: str, create_tables: bool) -> None:
        """Create every registered table if asked, then start the broker; ``name`` prefixes
        the background tasks' names."""
        if create_tables:
            async with self.engine.begin() as connection:
                await connection.run_sync(SQLModel.metadata.create_all)
        if self.broker is not None and not await try_starting(self.broker):
            # The API answers from the database while Kafka is down: connect in the background.
            self.spawn(keep_starting(self.broker), f"{name}-broker-start")

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``work`` in the background until :meth:`stop`."""
        self._tasks.append(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        # Latest first: a task may use what an earlier one started.
        for task in reversed(self._tasks):
            task.cancel()
        for task in reversed(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.broker is not None:
            await self.broker.stop()
        await self.engine.dispose()

    def parts_checks(self, temporal: ReadinessCheck | None = None) -> dict[str, ReadinessCheck]:
        """``database``, then ``temporal`` when given, then ``kafka`` when there is a broker."""
        checks: dict[str, ReadinessCheck] = {"database": DatabaseProbe(self.engine)}
        if temporal is not None:
            checks["temporal"] = temporal
        if self.broker is not None:
            checks["kafka"] = KafkaProbe(self.broker)
        return checks


def create_service_app(
    *,
    title: str,
    summary: str,
    parts: ServiceParts,
    checks: Mapping[str, ReadinessCheck],
    optional_checks: frozenset[str] = frozenset(),
    routers: Sequence[APIRouter] = (),
    description: str = "",
    version: str = "1.0.0",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """Every service's API has this shape: ``parts`` started and stopped by the lifespan, the
    shared error format, a request body limit, its ``routers``, ``/healthz``, ``/readyz``
    (``checks``; ``optional_checks`` only degrade it) and ``/metrics``, with every request
    timed in ``http_request_duration_seconds``."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await parts.start()
        try:
            yield
        finally:
            await parts.stop()

    app = FastAPI(
        title=title, summary=summary, description=description, version=version, lifespan=lifespan
    )
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(checks, optional=optional_checks))
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    # Outermost: refused bodies are timed too, and the router's scope is read after the call.
    app.add_middleware(RequestDuration)
    return app


def serve(
    create_app: Callable[[], FastAPI], *, service: str, host: str, port: int, log_level: str
) -> None:
    """Serve the app under uvicorn with the JSON logs of :func:`configure_logging`.

    Logging is configured before the app is built, so that building it logs as JSON too.
    """
    configure_logging(service, log_level)
    uvicorn.run(create_app(), host=host, port=port, log_config=None)  # keep the JSON logging
