"""FastAPI application of the contracts service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.api_errors import install_error_handlers
from libs.database import create_engine
from libs.observability import health_router
from services.contracts.readiness import DatabaseProbe, TemporalProbe
from services.contracts.settings import ContractsSettings


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    engine = create_engine(settings.DATABASE_URL)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="EIG contracts",
        summary="Project contracts: pay band, dates, document, signature, renewal.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(
        health_router(
            {
                "database": DatabaseProbe(engine),
                "temporal": TemporalProbe(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE),
            }
        )
    )
    return app
