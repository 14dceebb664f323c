"""A tiny site built on libs.web only, for the tests of the web layer (over ASGI or served to
a real browser): a CSRF-protected form that counts what it accepts, a JSON API beside it, a
page that fails, a private page, a gallery of every macro with and without errors; and a
stranger's site whose form posts to ours."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from libs.api_errors import ApiError, FieldError
from libs.http_service import create_service_app
from libs.private_pages import PRIVATE_PAGE_HEADERS
from libs.web.csrf import CsrfTokens
from libs.web.pages import Pages, install_pages, pages_router
from libs.web.rendering import PageRenderer
from libs.web.templating import create_environment

TEMPLATES = Path(__file__).resolve().parent / "web_site_templates"
SECRET = "test-site-secret"
MAX_BODY_BYTES = 2_000


class Thing(BaseModel):
    name: str


@dataclass
class Counter:
    accepted: int = 0
    names: list[str] = field(default_factory=list)


class NoParts:
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


ENVIRONMENT = create_environment([TEMPLATES])
"""Shared by every site built: templates compile once per test session."""


def renderer() -> PageRenderer:
    return PageRenderer(ENVIRONMENT, csrf=CsrfTokens.derived(SECRET))


def create_site(counter: Counter | None = None) -> FastAPI:
    """The site, with the same middleware stack as a service (body limit, error format)."""
    counter = counter or Counter()
    pages = pages_router()

    @pages.get("/form")
    async def form(request: Request, pages: Pages) -> Response:
        return pages.render(request, "form.html", {"accepted": counter.accepted})

    @pages.post("/form")
    async def accept(name: Annotated[str, Form()] = "") -> Response:
        counter.accepted += 1
        counter.names.append(name)
        return RedirectResponse("/form", status_code=303)

    @pages.get("/gallery")
    async def gallery(request: Request, pages: Pages, errors: bool = False) -> Response:
        return pages.render(request, "gallery.html", {"with_errors": errors})

    @pages.get("/private")
    async def private(request: Request, pages: Pages) -> Response:
        return pages.render(request, "form.html", {"accepted": 0}, headers=PRIVATE_PAGE_HEADERS)

    @pages.get("/fails")
    async def fails() -> Response:
        raise RuntimeError("a bug")

    api = APIRouter(prefix="/api")

    @api.post("/things")
    async def create_thing(request: Request, thing: Thing) -> dict[str, Any]:
        counter.accepted += 1
        return {"name": thing.name, "accepted": counter.accepted}

    @api.post("/json-only")
    async def json_only(request: Request) -> dict[str, Any]:
        raise ApiError(
            415,
            "The request body must be JSON.",
            [FieldError(field="Content-Type", message="Expected JSON", type="unsupported")],
        )

    app = create_service_app(
        title="libs.web test site",
        summary="Test site",
        parts=NoParts(),
        checks={},
        routers=[api],
        max_body_bytes=MAX_BODY_BYTES,
    )
    install_pages(app, renderer(), routers=[pages])
    return app


def create_stranger_site(target: str) -> Starlette:
    """Another site, without our headers: a page whose form posts to ``target``."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><title>Another site</title></head><body>'
            f'<main><form method="post" action="{target}"><input type="hidden" name="x" '
            'value="1"><button type="submit">Win a prize</button></form></main></body></html>'
        )

    return Starlette(routes=[Route("/", page)])
