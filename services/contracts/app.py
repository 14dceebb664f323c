"""FastAPI application of the contracts service."""

from fastapi import FastAPI

from libs.database import create_engine
from libs.http_service import EngineOnly, create_service_app
from libs.readiness import DatabaseProbe, TemporalProbe
from services.contracts.settings import ContractsSettings


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    engine = create_engine(settings.DATABASE_URL)
    return create_service_app(
        title="EIG contracts",
        summary="Project contracts: pay band, dates, document, signature, renewal.",
        parts=EngineOnly(engine),
        checks={
            "database": DatabaseProbe(engine),
            "temporal": TemporalProbe(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE),
        },
    )
