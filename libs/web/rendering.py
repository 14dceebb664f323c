"""Turning a template into a page response: language, CSRF token and site links in every
page's context, and the cookies that remember them."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from libs.messages.common import Language
from libs.web.csrf import CsrfTokens
from libs.web.language import page_language, remember_language, switch_url

ACCESSIBILITY_PATH = "/accessibilite"
LEGAL_NOTICE_PATH = "/mentions-legales"
PERSONAL_DATA_PATH = "/donnees-personnelles"
"""Intake's routes for the pages every State site links from its footer."""
RESULTS_PATH = "/resultats"
"""Intake's public results, linked from the footer too (the programme's transparency)."""


@dataclass(frozen=True)
class SiteLinks:
    """Where the layout's links go. The public pages (home, legal pages) are served by intake;
    another service points at intake's public URL."""

    base_url: str = ""
    """Empty on intake itself (links stay relative), else e.g. ``https://eig.beta.gouv.fr``."""

    @property
    def home(self) -> str:
        return f"{self.base_url}/"

    @property
    def accessibility(self) -> str:
        return f"{self.base_url}{ACCESSIBILITY_PATH}"

    @property
    def legal_notice(self) -> str:
        return f"{self.base_url}{LEGAL_NOTICE_PATH}"

    @property
    def personal_data(self) -> str:
        return f"{self.base_url}{PERSONAL_DATA_PATH}"

    @property
    def results(self) -> str:
        return f"{self.base_url}{RESULTS_PATH}"


class PageRenderer:
    """Renders a service's pages with the shared layout's context."""

    def __init__(
        self,
        environment: Environment,
        *,
        csrf: CsrfTokens,
        links: SiteLinks | None = None,
        secure_cookies: bool = False,
    ) -> None:
        self.environment = environment
        self.csrf = csrf
        self.links = links or SiteLinks()
        self.secure_cookies = secure_cookies

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """``template`` with ``context`` plus ``lang``, ``csrf_token``, ``links``, ``request``,
        ``current_path`` and ``language_switch`` (the other language's URL)."""
        language = page_language(request)
        token = self.csrf.current(request)
        new_token = token is None
        if token is None:
            token = self.csrf.new()
        other = Language.EN if language == Language.FR else Language.FR
        page = self.environment.get_template(template).render(
            {
                **(context or {}),
                "request": request,
                "lang": language,
                "csrf_token": token,
                "links": self.links,
                "current_path": request.url.path,
                "language_switch": {"language": other, "url": switch_url(request, other)},
            }
        )
        response = HTMLResponse(page, status_code=status_code, headers=headers)
        remember_language(request, response, secure=self.secure_cookies)
        if new_token:
            self.csrf.set_cookie(response, token, secure=self.secure_cookies)
        return response
