"""What the private pages share: form detection, the one 404, the layout."""

import pytest
from starlette.requests import Request

from libs.private_pages import (
    PRIVATE_PAGE_HEADERS,
    Missing,
    Notice,
    from_browser_form,
    not_found,
    page_templates,
)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
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


def test_the_404_is_a_page_for_browsers_and_json_for_programs_both_kept_private() -> None:
    page = not_found(MISSING, "No thing here.", html=True)
    error = not_found(MISSING, "No thing here.", html=False)

    assert (page.status_code, error.status_code) == (404, 404)
    assert page.media_type == "text/html"
    text = bytes(page.body).decode()
    assert "Truc introuvable" in text and "Aucun truc ne correspond" in text
    assert "Thing not found" in text and "No thing matches" in text
    assert bytes(error.body).startswith(b'{"detail":"No thing here."')
    for response in (page, error):
        for name, value in PRIVATE_PAGE_HEADERS.items():
            assert response.headers[name] == value


def test_a_service_page_extends_the_shared_layout_with_its_notice(tmp_path) -> None:
    (tmp_path / "page.html").write_text(
        '{% extends "private/base.html" %}{% block content %}<p>Corps</p>{% endblock %}'
    )

    html = (
        page_templates(tmp_path)
        .get_template("page.html")
        .render(notice=Notice("Attention", "Careful", is_error=True))
    )

    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'role="alert"' in html and "Attention" in html and "Careful" in html
    assert html.index("Careful") < html.index("<p>Corps</p>")
