"""FastAPI application of the selection service: the staff API."""

from fastapi import FastAPI

from libs.auth import token_verifier
from libs.http_service import create_service_app
from services.selection.api import operations, personal_data, rounds
from services.selection.api.dossiers import router as dossiers_router
from services.selection.bootstrap import Selection, bootstrap
from services.selection.settings import SelectionSettings

DESCRIPTION = """
Staff API of the *Entrepreneurs d'intérêt général* programme: dossiers, their timeline and
evaluations, the actions that move them through selection (bearer token with a staff role).
"""


def create_app(
    settings: SelectionSettings | None = None, *, selection: Selection | None = None
) -> FastAPI:
    """The selection API. Pass ``selection`` (from :func:`bootstrap`) to swap adapters."""
    if selection is None:
        selection = bootstrap(settings or SelectionSettings())
    app = create_service_app(
        title="EIG selection",
        summary="Investigations, evaluations, selection rounds and committee decisions.",
        description=DESCRIPTION,
        parts=selection,
        routers=[dossiers_router, rounds.router, operations.router, personal_data.router],
        checks=selection.readiness_checks(),
        # Lists and details answer from the database alone; actions need Temporal.
        optional_checks=frozenset({"kafka"}),
    )
    app.state.selection = selection
    app.state.dossier_workflows = selection.dossier_workflows
    app.state.promotions = selection.promotions
    app.state.round_members = selection.round_members
    app.state.token_verifier = token_verifier(selection.settings)
    return app
