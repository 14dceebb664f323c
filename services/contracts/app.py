"""FastAPI application of the contracts service: staff, applicant and report endpoints."""

from fastapi import FastAPI

from libs.http_service import create_service_app
from services.contracts.api import answers, contracts, reports
from services.contracts.bootstrap import Contracts, bootstrap
from services.contracts.pages import install_contracts_pages, offer
from services.contracts.settings import ContractsSettings

DESCRIPTION = """
Project contracts of the *Entrepreneurs d'intérêt général* programme: pay band from experience,
dates, the contract document (HTML and PDF), the offer and its answer, countersignature and
renewal. Staff endpoints take a bearer token with a staff role (countersignature: admin); the
EIG answers the offer through their private link (`?token=`).
"""


def create_app(
    settings: ContractsSettings | None = None, *, contracts_service: Contracts | None = None
) -> FastAPI:
    """The contracts API. Pass ``contracts_service`` (from :func:`bootstrap`) to swap adapters."""
    if contracts_service is None:
        contracts_service = bootstrap(settings or ContractsSettings())
    app = create_service_app(
        title="EIG contracts",
        summary="Project contracts: pay band, dates, document, signature, renewal.",
        description=DESCRIPTION,
        parts=contracts_service,
        routers=[contracts.router, answers.router, reports.router],
        checks=contracts_service.readiness_checks(),
        # Lists, details and documents answer from the database alone; actions need Temporal.
        optional_checks=frozenset({"kafka"}),
    )
    app.state.contracts = contracts_service
    # After the body limit, so that its 413 gets a page too.
    install_contracts_pages(app, contracts_service.settings, routers=[offer.router])
    app.state.token_verifier = contracts_service.token_verifier
    return app
