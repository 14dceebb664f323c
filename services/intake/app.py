"""Intake's FastAPI application: routes, error format, body limit, lifespan of the workers."""

from fastapi import FastAPI

from libs.http_service import create_service_app
from services.intake.api import applications, dossiers, results
from services.intake.api.applications import CountRejectedApplications
from services.intake.bootstrap import Intake, bootstrap
from services.intake.pages import install_intake_pages
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
    app = create_service_app(
        title="EIG intake",
        summary="Applications to the Entrepreneurs d'intérêt général programme",
        description=DESCRIPTION,
        parts=intake,
        routers=[applications.router, dossiers.router, results.router],
        checks=intake.readiness_checks(),
        # Applications are accepted with the database alone (the outbox waits for Kafka), so
        # Kafka and Temporal being down degrades intake without taking it out of service.
        optional_checks=frozenset({"kafka", "temporal"}),
        max_body_bytes=intake.settings.MAX_BODY_BYTES,
    )
    app.state.intake = intake
    install_intake_pages(app, intake)  # after the body limit, so its 413 gets a page too
    # Added last = outermost: rejections answered by the body limit are still counted.
    app.add_middleware(CountRejectedApplications)
    return app
