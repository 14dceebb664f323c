"""Plugging pages into a service's app: static files, CSRF, headers, error pages, routers."""

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from libs.api_errors import ApiError, FieldError, error_response
from libs.web.assets import STATIC_DIR, STATIC_URL
from libs.web.csrf import CSRF_FIELD, SAFE_METHODS, CsrfRejected, check_request, is_form_post
from libs.web.error_pages import (
    CSRF_ERROR,
    HtmlErrorPages,
    render_error_page,
    server_error_response,
)
from libs.web.negotiation import wants_html
from libs.web.rendering import PageRenderer
from libs.web.security_headers import SecurityHeadersMiddleware


def get_pages(request: Request) -> PageRenderer:
    pages: PageRenderer = request.app.state.pages
    return pages


Pages = Annotated[PageRenderer, Depends(get_pages)]
"""The service's renderer, for a page route's parameters."""


async def require_csrf(request: Request) -> None:
    """Every state-changing request to a page route proves it comes from our own form."""
    await check_request(request, get_pages(request).csrf)


def require_form_body(request: Request) -> None:
    """415 for a state-changing request whose body is not a form's: checked before the CSRF
    token, so that a program posting JSON to a page hears what is wrong with its request."""
    if request.method in SAFE_METHODS or is_form_post(request):
        return
    received = request.headers.get("content-type", "").split(";", 1)[0].strip()[:100]
    raise ApiError(
        415,
        "This page takes what its HTML form sends; programs use the JSON API.",
        [
            FieldError(
                field="Content-Type",
                message="Expected application/x-www-form-urlencoded or multipart/form-data, "
                f"got {received or 'no Content-Type'}",
                type="unsupported_media_type",
            )
        ],
    )


def pages_router(*, forms_only: bool = False, **kwargs: Any) -> APIRouter:
    """A router for HTML routes: CSRF-checked, answering HTML, out of the OpenAPI document
    (the JSON API documents the same operations). ``forms_only``: its POSTs take form bodies
    alone (:func:`require_form_body`)."""
    dependencies: Sequence[Any] = kwargs.pop("dependencies", ())
    checks = [Depends(require_form_body)] if forms_only else []
    return APIRouter(
        dependencies=[*checks, Depends(require_csrf), *dependencies],
        include_in_schema=False,
        default_response_class=HTMLResponse,
        **kwargs,
    )


def install_pages(
    app: FastAPI, renderer: PageRenderer, *, routers: Iterable[APIRouter] = ()
) -> None:
    """Serve :data:`~libs.web.assets.STATIC_DIR` at ``/static``, answer CSRF refusals with 403,
    unhandled errors with a 500 page (or JSON), JSON errors with pages for browsers, and add
    the security headers to HTML. Call it once the service's other middleware is added, so
    that its error answers (e.g. the body limit's 413) get their page too."""
    app.state.pages = renderer
    # check_dir=False: the app still starts (without styles) before `make install` copied them.
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    for router in routers:
        app.include_router(router)

    async def on_csrf_rejected(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CsrfRejected)
        if wants_html(request) or is_form_post(request):
            return render_error_page(
                renderer, request, 403, text=CSRF_ERROR, retry_url=request.url.path
            )
        return error_response(
            403,
            "The request was refused: it carries no valid CSRF token.",
            [FieldError(field=CSRF_FIELD, message=exc.reason, type="csrf_failed")],
        )

    async def on_unhandled(request: Request, exc: Exception) -> Response:
        return server_error_response(renderer, request, exc)

    app.add_exception_handler(CsrfRejected, on_csrf_rejected)
    app.add_exception_handler(Exception, on_unhandled)
    app.add_middleware(HtmlErrorPages, renderer=renderer)
    documentation = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(SecurityHeadersMiddleware, exempt_paths=[p for p in documentation if p])
