"""Intake's FastAPI application: routes, error format, body limit, lifespan of the workers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.api_errors import BodySizeLimitMiddleware, install_error_handlers
from libs.observability import health_router
from services.intake.api import CountRejectedApplications, router
from services.intake.bootstrap import Intake, bootstrap
from services.intake.settings import IntakeSettings

DESCRIPTION = """
Public application API of the *Entrepreneurs d'intérêt général* programme.

Administrations submit projects, digital professionals apply as product or technical
directors. Each accepted application gets a dossier id and a private status link.
"""


def create_app(settings: IntakeSettings | None = None, *, intake: Intake | None = None) -> FastAPI:
    """The intake API. Pass ``intake`` (from :func:`bootstrap`) to run with swapped adapters."""
    if intake is None:
        intake = bootstrap(settings or IntakeSettings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await intake.start()
        try:
            yield
        finally:
            await intake.stop()

    app = FastAPI(
        title="EIG intake",
        summary="Applications to the Entrepreneurs d'intérêt général programme",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.intake = intake
    install_error_handlers(app)
    app.include_router(router)
    # Applications are accepted with the database alone (the outbox waits for Kafka), so
    # Kafka and Temporal being down degrades intake without taking it out of service.
    app.include_router(
        health_router(intake.readiness_checks(), optional=frozenset({"kafka", "temporal"}))
    )
    # Added last = outermost: the body limit runs before routing, and rejections it answers
    # are still counted.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=intake.settings.MAX_BODY_BYTES)
    app.add_middleware(CountRejectedApplications)
    return app
