"""How a service's HTTP process is built and served: one FastAPI shape, one uvicorn setup."""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import uvicorn
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.api_errors import DEFAULT_MAX_BODY_BYTES, BodySizeLimitMiddleware, install_error_handlers
from libs.observability import ReadinessCheck, configure_logging, health_router


class ServiceParts(Protocol):
    """What a service's lifespan runs: built by its bootstrap, started and stopped with it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class EngineOnly:
    """The parts of a service that only holds a database engine (disposed of at shutdown)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.engine.dispose()


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
    shared error format, a request body limit, its ``routers``, and ``/healthz``, ``/readyz``
    (``checks``; ``optional_checks`` only degrade it) and ``/metrics``."""

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
    return app


def serve(
    create_app: Callable[[], FastAPI], *, service: str, host: str, port: int, log_level: str
) -> None:
    """Serve the app under uvicorn with the JSON logs of :func:`configure_logging`.

    Logging is configured before the app is built, so that building it logs as JSON too.
    """
    configure_logging(service, log_level)
    uvicorn.run(create_app(), host=host, port=port, log_config=None)  # keep the JSON logging
