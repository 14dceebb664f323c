"""FastAPI application of the selection service."""

from fastapi import FastAPI

from libs.database import create_engine
from libs.http_service import create_service_app
from libs.readiness import DatabaseProbe, TemporalProbe
from services.selection.settings import SelectionSettings


def create_app(settings: SelectionSettings | None = None) -> FastAPI:
    settings = settings or SelectionSettings()
    engine = create_engine(settings.DATABASE_URL)
    return create_service_app(
        title="EIG selection",
        summary="Investigations, evaluations, selection rounds and committee decisions.",
        engine=engine,
        checks={
            "database": DatabaseProbe(engine),
            "temporal": TemporalProbe(settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE),
        },
    )
