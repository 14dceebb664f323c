"""Browsers get error pages in the layout, programs keep the JSON error format; HTML responses
carry the security headers."""

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from libs.web.security_headers import CONTENT_SECURITY_POLICY
from tests.unit.libs.web.site_client import BROWSER_ACCEPT, site_client
from tests.web_site import MAX_BODY_BYTES

PAGE = {"Accept": BROWSER_ACCEPT}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with site_client() as client:
        yield client


def title(page: httpx.Response) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page.text)
    assert match is not None, page.text[:500]
    return match.group(1)


class TestPagesForBrowsers:
    @pytest.mark.parametrize(
        ("method", "path", "kwargs", "status", "heading"),
        [
            ("GET", "/nowhere", {}, 404, "Page non trouvée"),
            ("GET", "/api/things", {}, 405, "Action non permise"),
            ("POST", "/api/json-only", {}, 415, "Format d’envoi non pris en charge"),
            ("POST", "/api/things", {"json": {}}, 422, "Données invalides"),
            (
                "POST",
                "/api/things",
                {"content": b"x" * (MAX_BODY_BYTES + 1)},
                413,
                "Envoi trop volumineux",
            ),
        ],
        ids=["404", "405", "415", "422", "413"],
    )
    async def test_an_error_is_a_page_in_the_layout_with_its_status(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        kwargs: dict[str, object],
        status: int,
        heading: str,
    ) -> None:
        response = await client.request(method, path, headers=PAGE, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert title(response) == heading
        assert f"Erreur {status}" in response.text
        assert 'class="fr-header"' in response.text and 'id="footer"' in response.text

    async def test_the_page_keeps_the_error_s_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/things", headers=PAGE)
        assert response.headers["allow"] == "POST"

    async def test_the_page_speaks_the_visitor_s_language(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nowhere?lang=en", headers=PAGE)
        assert title(response) == "Page not found"
        assert '<html lang="en">' in response.text

    async def test_an_unhandled_error_is_a_500_page_whose_reference_is_in_the_log(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="libs.api_errors"):
            response = await client.get("/fails?token=secret-token", headers=PAGE)
        assert response.status_code == 500
        assert title(response) == "Erreur inattendue"
        match = re.search(r'<code id="error-id">([0-9a-f]{12})</code>', response.text)
        assert match is not None
        [record] = [r for r in caplog.records if r.name == "libs.api_errors"]
        assert match.group(1) in record.getMessage()
        assert "secret-token" not in record.getMessage()  # the query may hold a private token
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


class TestJsonForPrograms:
    async def test_an_unknown_path_answers_the_json_error_format(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/nowhere")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found", "errors": []}

    async def test_a_body_over_the_limit_answers_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/things", content=b"x" * (MAX_BODY_BYTES + 1))
        assert response.status_code == 413
        assert response.json()["errors"][0]["type"] == "body_too_large"

    async def test_an_unhandled_error_answers_json_with_its_reference(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/fails", headers={"Accept": "application/json"})
        assert response.status_code == 500
        assert re.search(r"reference[^:]*: [0-9a-f]{12}", response.json()["detail"])


class TestSecurityHeaders:
    async def test_a_page_forbids_inline_scripts_framing_and_sniffing(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/form", headers=PAGE)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"

    async def test_a_private_page_keeps_no_referrer_and_no_store(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/private", headers=PAGE)
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "content-security-policy" in response.headers

    async def test_json_gets_nosniff_but_no_page_policy(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/things", json={"name": "a"})
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in response.headers

    async def test_the_api_documentation_keeps_working_without_the_page_policy(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert "content-security-policy" not in response.headers

    async def test_the_page_s_inline_markup_has_no_script_or_style(
        self, client: httpx.AsyncClient
    ) -> None:
        page = (await client.get("/gallery?errors=true", headers=PAGE)).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
        assert "<style" not in page and " style=" not in page and "onclick" not in page
