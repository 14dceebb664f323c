"""What every applicant page behind a private link shares (status page, contract offer).

Their headers, their 404 (:func:`not_found`, the DSFR error page of :mod:`libs.web`), the CSRF
check of their actions (:func:`check_private_action`) and the detection of a browser's form
post (:func:`from_browser_form`); the same address answers JSON or a page by content
negotiation (:func:`libs.web.negotiation.wants_html`). The pages themselves use the DSFR
layout of :mod:`libs.web`; ``private/base.html`` is the printable layout of documents (the
contract), styled by a stylesheet since the pages' CSP allows no inline style.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from libs.api_errors import error_response
from libs.dossier_links import LinkKeys
from libs.web.csrf import CsrfTokens, check_origin, check_request, is_form_post
from libs.web.error_pages import ErrorText, render_error_page
from libs.web.negotiation import wants_html
from libs.web.pages import get_pages

PRIVATE_PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
"""The private link carries its token in the URL: keep it out of caches, Referer headers and
search engines."""

SHARED_TEMPLATES: Final = Path(__file__).resolve().parent / "templates"

URLENCODED: Final = "application/x-www-form-urlencoded"


def private_pages_csrf(keys: LinkKeys) -> CsrfTokens:
    """The CSRF tokens of every service with pages behind private links (intake, contracts),
    derived from the link secret they share: a browser keeps one ``eig_csrf`` cookie per host
    whatever the port, so their pages (8000 and 8002 on one host) must accept each other's
    cookie, or each would replace the other's and the first page's form would be refused."""
    return CsrfTokens.derived(keys.derived_secret("csrf"))


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


def not_found(request: Request, missing: Missing, detail: str, *, html: bool) -> Response:
    """The one 404 of a private link: the layout's error page for browsers, ``detail`` in the
    JSON error format for programs. The same for an unknown id and a wrong token, so the
    answer tells nothing about what exists."""
    if html:
        text = ErrorText(
            missing.title_fr,
            missing.title_en,
            f"{missing.nothing_fr} ne correspond à cette adresse. Vérifiez que vous avez copié "
            "le lien complet reçu par courriel ; un lien ne vaut que pour ce qu’il annonce "
            "(suivre le dossier, le retirer, répondre à une offre).",
            f"{missing.nothing_en} matches this address. Check that you copied the whole link "
            "from your e-mail; a link only works for what it says (follow the application, "
            "withdraw it, answer an offer).",
        )
        page = render_error_page(get_pages(request), request, 404, text=text)
        page.headers.update(PRIVATE_PAGE_HEADERS)
        return page
    return error_response(404, detail, headers=PRIVATE_PAGE_HEADERS)


def media_type(request: Request) -> str:
    """The request body's media type, lower case, without parameters ("" when none)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def from_browser_form(request: Request) -> bool:
    """A post from a page's form: an urlencoded or multipart body, or an Accept preferring HTML.

    It gets pages back (a redirect, or the page with a notice) where a program gets JSON.
    """
    return is_form_post(request) or wants_html(request)


async def check_private_action(request: Request) -> bool:
    """The CSRF check of a private link's action (withdraw, accept, decline), a route that
    serves programs (JSON) and the page's form alike: any request a browser says is
    cross-site is refused, and a browser's form post must carry the page's token (the app's
    :class:`~libs.web.rendering.PageRenderer`). Raises
    :class:`~libs.web.csrf.CsrfRejected` (403); returns whether the request is a form's."""
    check_origin(request)
    from_form = from_browser_form(request)
    if from_form:
        await check_request(request, get_pages(request).csrf)
    return from_form
