"""FastAPI application of the selection service: the staff API."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.api_errors import BodySizeLimitMiddleware, install_error_handlers
from libs.auth import token_verifier
from libs.observability import health_router
from services.selection.api import rounds
from services.selection.api.dossiers import router as dossiers_router
from services.selection.bootstrap import Selection, bootstrap
from services.selection.promotions import TemporalPromotionDirectory
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

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await selection.start()
        try:
            yield
        finally:
            await selection.stop()

    app = FastAPI(
        title="EIG selection",
        summary="Investigations, evaluations, selection rounds and committee decisions.",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.selection = selection
    app.state.dossier_workflows = selection.dossier_workflows
    app.state.promotions = TemporalPromotionDirectory(
        selection.temporal.client, selection.settings.TEMPORAL_TASK_QUEUE
    )
    app.state.token_verifier = token_verifier(selection.settings)
    install_error_handlers(app)
    app.include_router(dossiers_router)
    app.include_router(rounds.router)
    # Lists and details answer from the database alone; actions need Temporal.
    app.include_router(health_router(selection.readiness_checks(), optional=frozenset({"kafka"})))
    app.add_middleware(BodySizeLimitMiddleware)
    return app
