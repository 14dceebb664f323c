"""The console's pages: sign-in (:mod:`.signin`), the dashboard (:mod:`.dashboard`), dossiers
(:mod:`.dossiers`); templates in ``templates/``. Every page is rendered on the server and
works without JavaScript (docs/adr/0013-staff-console-server-rendered.md)."""

from pathlib import Path

from fastapi import FastAPI

from libs.config import Environment
from libs.web.csrf import CsrfTokens
from libs.web.pages import install_pages
from libs.web.rendering import PageRenderer, SiteLinks
from libs.web.templating import create_environment
from libs.wording import administration_kind_label, dossier_status_label, kind_label, role_label
from services.console.bootstrap import Console
from services.console.pages import dashboard, dossiers, signin
from services.console.pages.dependencies import (
    SignInRequired,
    on_api_refused,
    on_api_unavailable,
    on_sign_in_required,
)
from services.console.sessions import SessionRefresh
from services.console.staff_api import ApiRefused, ApiUnavailable

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = create_environment([TEMPLATES])
"""One per process: each template compiles once, whatever the number of apps built."""
ENVIRONMENT.globals.update(
    status_label=dossier_status_label,
    kind_label=kind_label,
    role_label=role_label,
    administration_kind_label=administration_kind_label,
)


def page_renderer(console: Console) -> PageRenderer:
    settings = console.settings
    return PageRenderer(
        ENVIRONMENT,
        csrf=CsrfTokens.derived(settings.CONSOLE_SESSION_SECRET.get_secret_value()),
        links=SiteLinks(settings.PUBLIC_INTAKE_URL.rstrip("/")),
        secure_cookies=settings.ENVIRONMENT == Environment.PRODUCTION,
    )


def install_console_pages(app: FastAPI, console: Console) -> None:
    install_pages(
        app, page_renderer(console), routers=[signin.router, dashboard.router, dossiers.router]
    )
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(ApiRefused, on_api_refused)
    app.add_exception_handler(ApiUnavailable, on_api_unavailable)
    app.add_middleware(SessionRefresh, cookies=console.cookies)
