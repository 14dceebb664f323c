"""The console's pages: sign-in (:mod:`.signin`), the dashboard (:mod:`.dashboard`), dossiers
(:mod:`.dossiers`), evaluations, rounds, matching, contracts and operations (:mod:`.ops`);
templates in ``templates/``. Every page is rendered on the server and works without JavaScript
(docs/adr/0013-staff-console-server-rendered-over-the-staff-apis.md)."""

from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI
from jinja2 import pass_context
from jinja2.runtime import Context

from libs.config import Environment
from libs.messages.common import Language
from libs.operations.report import age_seconds, duration
from libs.web.csrf import CsrfTokens
from libs.web.pages import install_pages
from libs.web.rendering import PageRenderer, SiteLinks
from libs.web.templating import create_environment
from libs.wording import (
    CRITERION_LABELS,
    administration_kind_label,
    amount_in_euros,
    contract_status_label,
    dossier_status_label,
    kind_label,
    pay_band_label,
    role_label,
)
from services.console.action_forms import (
    ACTION_LABELS,
    APPLICANT_ACTION_LABELS,
    CONTRACT_ACTION_LABELS,
    OPTION_LABELS,
)
from services.console.bootstrap import Console
from services.console.pages import (
    contracts,
    dashboard,
    dossiers,
    evaluations,
    matching,
    ops,
    rounds,
    signin,
)
from services.console.pages.dependencies import (
    SignInRequired,
    on_api_refused,
    on_api_unavailable,
    on_sign_in_required,
)
from services.console.sessions import SessionRefresh
from services.console.staff_api import ApiRefused, ApiUnavailable
from services.intake.pages.form_fields import CANDIDATE_LABELS, PROJECT_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = create_environment([TEMPLATES])
"""One per process: each template compiles once, whatever the number of apps built."""
ENVIRONMENT.globals.update(
    status_label=dossier_status_label,
    kind_label=kind_label,
    role_label=role_label,
    administration_kind_label=administration_kind_label,
    contract_status_label=contract_status_label,
    pay_band_label=pay_band_label,
    duration=duration,
    age_seconds=age_seconds,
    # What the staff read instead of the APIs' names: the application form's own labels, the
    # console's action and outcome labels (timelines), the scorecard's criteria.
    field_labels={**CANDIDATE_LABELS, **PROJECT_LABELS},
    action_labels={**ACTION_LABELS, **CONTRACT_ACTION_LABELS, **APPLICANT_ACTION_LABELS},
    option_labels=OPTION_LABELS,
    criterion_labels=CRITERION_LABELS,
)


@pass_context
def _euros(context: Context, amount: Decimal) -> str:
    return amount_in_euros(context.get("lang") or Language.FR, amount)


ENVIRONMENT.globals["euros"] = _euros


CONSOLE_CSRF_COOKIE = "eig_console_csrf"
"""Not the applicant pages' ``eig_csrf``: the console signs with its own key, and on one host
(localhost, a single domain behind a proxy) a browser would keep only the last one set."""


def page_renderer(console: Console) -> PageRenderer:
    settings = console.settings
    return PageRenderer(
        ENVIRONMENT,
        csrf=CsrfTokens.derived(
            settings.CONSOLE_SESSION_SECRET.get_secret_value(), cookie=CONSOLE_CSRF_COOKIE
        ),
        links=SiteLinks(settings.PUBLIC_INTAKE_URL.rstrip("/")),
        secure_cookies=settings.ENVIRONMENT == Environment.PRODUCTION,
    )


def install_console_pages(app: FastAPI, console: Console) -> None:
    install_pages(
        app,
        page_renderer(console),
        routers=[
            signin.router,
            dashboard.router,
            dossiers.router,
            evaluations.router,
            rounds.router,
            matching.router,
            contracts.router,
            ops.router,
        ],
    )
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(ApiRefused, on_api_refused)
    app.add_exception_handler(ApiUnavailable, on_api_unavailable)
    app.add_middleware(SessionRefresh, cookies=console.cookies)
