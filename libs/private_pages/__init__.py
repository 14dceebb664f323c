"""What every applicant page behind a private link shares (status page, contract offer).

Their headers, their layout (``private/base.html``, with the notice at the top) and 404 page
(``private/not_found.html``), and the detection of a browser's form post
(:func:`from_browser_form`); the same address answers JSON or a page by content negotiation
(:func:`libs.web.negotiation.wants_html`). The DSFR layout of :mod:`libs.web` will replace
``base.html``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from libs.api_errors import error_response
from libs.web.csrf import is_form_post
from libs.web.negotiation import wants_html

PRIVATE_PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
"""The private link carries its token in the URL: keep it out of caches, Referer headers and
search engines."""

SHARED_TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

URLENCODED: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Notice:
    """A message shown at the top of a private page, French then English."""

    fr: str
    en: str
    is_error: bool = False


@dataclass(frozen=True)
class Missing:
    """What the 404 page says was not found: ``Dossier introuvable`` / ``Aucun dossier``…"""

    title_fr: str
    title_en: str
    nothing_fr: str
    nothing_en: str


def page_templates(directory: Path) -> Environment:
    """A service's page templates (``directory``) over the shared ones (``private/…``)."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(directory), FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


_shared = page_templates(SHARED_TEMPLATES)


def private_page(
    html: str, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """A rendered private page, with :data:`PRIVATE_PAGE_HEADERS` (and ``headers``)."""
    return HTMLResponse(
        html, status_code=status_code, headers={**PRIVATE_PAGE_HEADERS, **(headers or {})}
    )


def not_found(missing: Missing, detail: str, *, html: bool) -> Response:
    """The one 404 of a private link: the page for browsers, ``detail`` in the JSON error
    format for programs. The same for an unknown id and a wrong token, so the answer tells
    nothing about what exists."""
    if html:
        page = _shared.get_template("private/not_found.html").render(missing=missing)
        return private_page(page, status_code=404)
    return error_response(404, detail, headers=PRIVATE_PAGE_HEADERS)


def media_type(request: Request) -> str:
    """The request body's media type, lower case, without parameters ("" when none)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def from_browser_form(request: Request) -> bool:
    """A post from a page's form: an urlencoded or multipart body, or an Accept preferring HTML.

    It gets pages back (a redirect, or the page with a notice) where a program gets JSON.
    """
    return is_form_post(request) or wants_html(request)
