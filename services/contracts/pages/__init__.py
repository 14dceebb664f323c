"""The contracts service's HTML: the EIG's offer page (a router, :mod:`.offer`) in the shared
DSFR layout of :mod:`libs.web` (``templates/offer.html``), and the contract document
(``templates/contract.html``, over the printable private-page layout of
:mod:`libs.private_pages`, which the HTML and PDF renderers share)."""

from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI

from libs.config import Environment
from libs.private_pages import Missing, page_templates, private_pages_csrf
from libs.web.pages import install_pages
from libs.web.rendering import PageRenderer, SiteLinks
from libs.web.templating import create_environment
from services.contracts.settings import ContractsSettings

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
TEMPLATES: Final = page_templates(TEMPLATE_DIR)
"""The contract document's environment (:mod:`services.contracts.documents`)."""
ENVIRONMENT: Final = create_environment([TEMPLATE_DIR])
"""The pages' environment (DSFR layout); one per process, so each template compiles once."""

MISSING_CONTRACT: Final = Missing(
    "Contrat introuvable", "Contract not found", "Aucun contrat", "No contract"
)
"""What the 404 page of a wrong contract link says."""


def page_renderer(settings: ContractsSettings) -> PageRenderer:
    return PageRenderer(
        ENVIRONMENT,
        csrf=private_pages_csrf(settings.link_keys),
        # The layout's home and legal pages are intake's, on the public site.
        links=SiteLinks(settings.PUBLIC_INTAKE_URL.rstrip("/")),
        secure_cookies=settings.ENVIRONMENT == Environment.PRODUCTION,
    )


def install_contracts_pages(
    app: FastAPI, settings: ContractsSettings, routers: list[APIRouter]
) -> None:
    install_pages(app, page_renderer(settings), routers=routers)
