"""FastAPI application of the staff console: server-rendered pages over the staff APIs."""

from fastapi import FastAPI

from libs.http_service import create_service_app
from services.console.bootstrap import Console, bootstrap
from services.console.pages import install_console_pages
from services.console.settings import ConsoleSettings


def create_app(
    settings: ConsoleSettings | None = None, *, console: Console | None = None
) -> FastAPI:
    """The console. Pass ``console`` (from :func:`bootstrap`) to swap the staff API."""
    if console is None:
        console = bootstrap(settings or ConsoleSettings())
    app = create_service_app(
        title="EIG console",
        summary="The staff console: dossiers, evaluations, rounds, matching, contracts.",
        parts=console,
        checks={},  # it holds no state: the staff APIs have their own readiness
    )
    app.state.console = console
    install_console_pages(app, console)
    return app
