"""What the private pages share: form detection, the one 404, the layout."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from libs.dossier_links import LinkKeys
from libs.private_pages import (
    PRIVATE_PAGE_HEADERS,
    Missing,
    from_browser_form,
    not_found,
    page_templates,
    private_pages_csrf,
)
from libs.web.negotiation import wants_html
from libs.web.pages import install_pages
from libs.web.rendering import PageRenderer
from libs.web.templating import create_environment

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LINK_KEYS = LinkKeys.single(b"k" * 32)
MISSING = Missing("Truc introuvable", "Thing not found", "Aucun truc", "No thing")


def request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Content-Type": "application/x-www-form-urlencoded"}, True),
        ({"Content-Type": "multipart/form-data; boundary=x"}, True),
        ({"Content-Type": "application/json", "Accept": BROWSER_ACCEPT}, True),
        ({"Content-Type": "application/json"}, False),
        ({}, False),
    ],
)
def test_a_form_post_is_a_form_body_or_a_browser_asking_for_a_page(
    headers: dict[str, str], expected: bool
) -> None:
    assert from_browser_form(request(headers)) is expected


def app_with_pages() -> FastAPI:
    app = FastAPI()

    @app.get("/thing")
    async def thing(request: Request) -> Response:
        return not_found(request, MISSING, "No thing here.", html=wants_html(request))

    install_pages(app, PageRenderer(create_environment(), csrf=private_pages_csrf(LINK_KEYS)))
    return app


async def test_the_404_is_a_page_for_browsers_and_json_for_programs_both_kept_private() -> None:
    transport = httpx.ASGITransport(app=app_with_pages())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/thing", headers={"Accept": BROWSER_ACCEPT})
        english = await client.get("/thing?lang=en", headers={"Accept": BROWSER_ACCEPT})
        error = await client.get("/thing")

    assert (page.status_code, error.status_code) == (404, 404)
    assert page.headers["content-type"].startswith("text/html")
    assert "fr-header" in page.text  # the DSFR layout's error page
    assert "Truc introuvable" in page.text and "Aucun truc ne correspond" in page.text
    assert "Thing not found" in english.text and "No thing matches" in english.text
    assert error.json()["detail"] == "No thing here."
    for response in (page, error):
        for name, value in PRIVATE_PAGE_HEADERS.items():
            assert response.headers[name] == value


def test_a_document_extends_the_printable_layout_with_a_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '{% extends "private/base.html" %}{% block content %}<p>Corps</p>{% endblock %}'
    )

    html = page_templates(tmp_path).get_template("page.html").render()

    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<link rel="stylesheet" href="/static/eig/document.css">' in html
    assert "<style" not in html  # the CSP allows no inline style
    assert "<p>Corps</p>" in html
