"""How a service's HTTP process is built and served: one FastAPI shape, one uvicorn setup."""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.api_errors import install_error_handlers
from libs.observability import ReadinessCheck, configure_logging, health_router


def create_service_app(
    *,
    title: str,
    summary: str,
    engine: AsyncEngine,
    checks: Mapping[str, ReadinessCheck],
    version: str = "0.1.0",
) -> FastAPI:
    """A service's API: the shared error format, ``/healthz``, ``/readyz`` with ``checks``,
    ``/metrics``; ``engine`` is disposed of when the app shuts down."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(title=title, summary=summary, version=version, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(health_router(checks))
    return app


def serve(
    create_app: Callable[[], FastAPI], *, service: str, host: str, port: int, log_level: str
) -> None:
    """Serve the app under uvicorn with the JSON logs of :func:`configure_logging`.

    Logging is configured before the app is built, so that building it logs as JSON too.
    """
    configure_logging(service, log_level)
    uvicorn.run(create_app(), host=host, port=port, log_config=None)  # keep the JSON logging
