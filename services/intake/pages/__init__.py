"""Intake's HTML pages, one more entry point onto its service layer: the public site (landing
page, legal pages, :mod:`.public`), the application forms and their confirmation pages
(:mod:`.application_forms`, fields in :mod:`.form_fields`), the e-mail address confirmation
(:mod:`.confirmation`), the public results (:mod:`.results`) and the applicant's status page
(:mod:`.status`, answered at the private link ``GET /api/v1/dossiers/{id}`` by content
negotiation, in the DSFR layout with the private-page headers of :mod:`libs.private_pages`);
templates in ``templates/``."""

from pathlib import Path

from fastapi import FastAPI

from libs.config import Environment
from libs.private_pages import private_pages_csrf
from libs.web.pages import install_pages
from libs.web.rendering import PageRenderer
from libs.web.templating import create_environment
from services.intake.bootstrap import Intake
from services.intake.pages.application_forms import router as application_forms_router
from services.intake.pages.confirmation import router as confirmation_router
from services.intake.pages.public import router as public_router
from services.intake.pages.results import router as results_router

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = create_environment([TEMPLATES])
"""One per process: each template compiles once, whatever the number of apps built."""


def page_renderer(intake: Intake) -> PageRenderer:
    settings = intake.settings
    return PageRenderer(
        ENVIRONMENT,
        csrf=private_pages_csrf(intake.link_keys),
        secure_cookies=settings.ENVIRONMENT == Environment.PRODUCTION,
    )


def install_intake_pages(app: FastAPI, intake: Intake) -> None:
    install_pages(
        app,
        page_renderer(intake),
        routers=[public_router, application_forms_router, confirmation_router, results_router],
    )
