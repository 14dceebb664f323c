"""How a service's HTTP process is built and served: one FastAPI shape, one uvicorn setup."""

import asyncio
import contextlib
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from faststream.kafka import KafkaBroker
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import (
    DEFAULT_MAX_BODY_BYTES,
    BodySizeLimitMiddleware,
    UnexpectedErrorMiddleware,
    document_error_format,
    error_response,
    install_error_handlers,
)
from libs.auth import document_bearer_auth
from libs.config import PlatformSettings
from libs.kafka import keep_starting, try_starting
from libs.observability import (
    ReadinessCheck,
    bind_ids,
    configure_telemetry,
    health_router,
    log_context,
)
from libs.readiness import DatabaseProbe, KafkaProbe
from libs.tracing import FASTAPI_NATIVE_TELEMETRY_OFF, context_from, span

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP requests by method, route template (never the dossier id itself) and status code",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of requests no route matched: their paths would make a label per URL."""
OPERATIONS_PATHS: Final = frozenset({"/readyz", "/metrics"})
"""Served on the internal listener only, when there is one (with the app's API documents)."""
STARTUP_FAILURE: Final = 3
"""The exit status of a server that could not start (uvicorn's)."""

logger = logging.getLogger(__name__)


class RequestDuration:
    """Times and traces every HTTP request under its route's template
    (``/api/v1/dossiers/{dossier_id}``), which the router leaves in the scope once it matched.

    The request's span continues the caller's ``traceparent`` if it sent one, and is the
    parent of what the request does (an outbox row, a Temporal update); the request is a log
    scope, to which handlers bind the ids they learn (libs.observability.bind_ids).
    """

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

        method = scope["method"]
        headers = {name.decode("latin-1"): value for name, value in scope["headers"]}
        with (
            span(
                method,
                kind=SpanKind.SERVER,
                context=context_from(headers),
                attributes={"http.request.method": method},
            ) as request_span,
            log_context(),
        ):
            try:
                await self.app(scope, receive, recording_send)
            finally:
                route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
                HTTP_REQUEST_DURATION.labels(method, route, str(status)).observe(
                    time.perf_counter() - started
                )
                # Named after the template, never the path: it holds ids and private tokens.
                request_span.update_name(f"{method} {route}")
                request_span.set_attribute("http.route", route)
                request_span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    request_span.set_status(Status(StatusCode.ERROR))


ID_PATH_PARAMETERS = ("dossier_id", "contract_id")
"""Path parameters every request's log lines carry as fields (ids, never personal data)."""


async def bind_path_ids(request: Request) -> None:
    """The ids a route's path names, bound to the request's log scope once it matched: every
    handler's lines (an action on a dossier, a contract's answer) carry them without asking."""
    bind_ids(**{name: request.path_params.get(name) for name in ID_PATH_PARAMETERS})


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
        title=title,
        summary=summary,
        description=description,
        version=version,
        lifespan=lifespan,
        telemetry=FASTAPI_NATIVE_TELEMETRY_OFF,
        dependencies=[Depends(bind_path_ids)],
    )
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(checks, optional=optional_checks))
    _document_errors(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    # Around everything but the timing: a failure anywhere, body limit included, answers JSON.
    app.add_middleware(UnexpectedErrorMiddleware)
    # Outermost: refused bodies are timed too, and the router's scope is read after the call.
    app.add_middleware(RequestDuration)
    return app


def _document_errors(app: FastAPI) -> None:
    """The document FastAPI generates, corrected by :func:`document_error_format` (once)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_bearer_auth(document_error_format(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def internal_paths(app: FastAPI) -> frozenset[str]:
    """The paths only the internal listener serves: readiness, metrics and the app's API
    documents (whichever of ``/docs``, ``/redoc`` and ``/openapi.json`` it has)."""
    documents = (app.docs_url, app.redoc_url, app.openapi_url)
    oauth_redirect = app.swagger_ui_oauth2_redirect_url if app.docs_url else None
    return OPERATIONS_PATHS | {path for path in (*documents, oauth_redirect) if path}


class InternalPaths:
    """One app on two listeners: the :func:`internal_paths` answer only on the internal port,
    and 404 in the shared error format on the public one (as a path that does not exist).

    The listener is the socket the connection came in on (``scope["server"]``), never a
    header the client could set. Everything else, ``/healthz`` included, answers on both.
    """

    def __init__(self, app: FastAPI, internal_port: int) -> None:
        self.app = app
        self.internal_port = internal_port
        self.paths = internal_paths(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths and not self._internal(scope):
            await error_response(404, "Not Found")(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _internal(self, scope: Scope) -> bool:
        server = scope.get("server")
        return server is not None and server[1] == self.internal_port


@dataclass(frozen=True)
class Listeners:
    """What uvicorn serves, and on which sockets: ``None``, the one ``host:port`` it binds
    itself (no ``INTERNAL_PORT``)."""

    app: ASGIApp
    host: str
    port: int
    sockets: list[socket.socket] | None = None

    def config(self, **options: Any) -> uvicorn.Config:
        """uvicorn's configuration, keeping the process's JSON logging."""
        return uvicorn.Config(self.app, host=self.host, port=self.port, log_config=None, **options)


def listeners(app: FastAPI, *, host: str, port: int, settings: PlatformSettings) -> Listeners:
    """The app on ``host:port`` alone, or, with ``INTERNAL_PORT``, on that public listener
    and on the internal one (``INTERNAL_HOST``, default ``host``), both bound here so that
    one uvicorn server, hence one lifespan, serves them."""
    internal_port = settings.INTERNAL_PORT
    if internal_port is None:
        return Listeners(app, host, port)
    if internal_port == port:
        raise ValueError(f"INTERNAL_PORT={internal_port} is the public port too: choose another")
    internal_host = settings.INTERNAL_HOST or host
    public = _listening_socket(host, port)
    try:
        internal = _listening_socket(internal_host, internal_port)
    except OSError:
        public.close()
        raise
    logger.info(
        "public listener on %s:%d, internal listener (%s) on %s:%d",
        host,
        port,
        ", ".join(sorted(internal_paths(app))),
        internal_host,
        internal_port,
    )
    return Listeners(InternalPaths(app, internal_port), host, port, [public, internal])


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound as uvicorn binds its own (``SO_REUSEADDR``; IPv6 for an address with a colon);
    the server listens on it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def serve(
    create_app: Callable[[], FastAPI],
    *,
    service: str,
    host: str,
    port: int,
    settings: PlatformSettings,
) -> None:
    """Serve the app under uvicorn with the JSON logs and traces of :func:`configure_telemetry`,
    on the :func:`listeners` the settings ask for.

    Both are configured before the app is built, so that building it logs as JSON too.
    """
    configure_telemetry(service, settings)
    try:
        served = listeners(create_app(), host=host, port=port, settings=settings)
    except (OSError, ValueError) as error:  # a port taken, or the same port twice
        logger.error("%s", error)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(served.config())
    server.run(sockets=served.sockets)
    if not server.started:  # as uvicorn.run: the lifespan or the bind failed, and said why
        sys.exit(STARTUP_FAILURE)
