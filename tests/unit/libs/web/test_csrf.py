"""CSRF protection of the page forms: only our own form, from our own origin, changes state;
the JSON API beside them is untouched."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from libs.web.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, CsrfTokens
from tests.unit.libs.web.site_client import BROWSER_ACCEPT, HOST, site_client
from tests.web_site import SECRET, Counter

FORM_HEADERS = {"Accept": BROWSER_ACCEPT}


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
async def client(counter: Counter) -> AsyncIterator[httpx.AsyncClient]:
    async with site_client(counter) as client:
        yield client


async def form_token(client: httpx.AsyncClient) -> str:
    """Open the form page as a browser does: it sets the cookie and carries the token."""
    page = await client.get("/form", headers=FORM_HEADERS)
    match = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and "Formulaire non accepté" in response.text


class TestOwnForm:
    async def test_the_form_page_sets_the_cookie_it_puts_in_the_form(
        self, client: httpx.AsyncClient
    ) -> None:
        token = await form_token(client)
        assert client.cookies[CSRF_COOKIE] == token
        assert CsrfTokens.derived(SECRET).is_valid(token)

    async def test_a_post_with_the_token_is_accepted(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        token = await form_token(client)
        response = await client.post(
            "/form", data={CSRF_FIELD: token, "name": "Camille"}, headers=FORM_HEADERS
        )
        assert response.status_code == 303
        assert counter.names == ["Camille"]  # the route still reads the form the check read

    async def test_a_multipart_form_with_the_token_is_accepted(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        token = await form_token(client)
        response = await client.post(
            "/form",
            data={CSRF_FIELD: token, "name": "Dominique"},
            files={"attachment": ("cv.txt", b"...")},
            headers=FORM_HEADERS,
        )
        assert response.status_code == 303
        assert counter.names == ["Dominique"]

    async def test_the_browser_s_own_origin_and_fetch_metadata_are_accepted(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        token = await form_token(client)
        headers = {**FORM_HEADERS, "Origin": f"http://{HOST}", "Sec-Fetch-Site": "same-origin"}
        response = await client.post("/form", data={CSRF_FIELD: token}, headers=headers)
        assert response.status_code == 303
        assert counter.accepted == 1

    async def test_a_script_may_send_the_token_in_a_header(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        token = await form_token(client)
        response = await client.post("/form", headers={**FORM_HEADERS, CSRF_HEADER: token})
        assert response.status_code == 303
        assert counter.accepted == 1


class TestForgedRequests:
    @pytest.mark.parametrize(
        "data",
        [{}, {CSRF_FIELD: ""}, {CSRF_FIELD: "nonce.0123456789abcdef0123456789abcdef"}],
        ids=["no token", "empty token", "another token"],
    )
    async def test_a_post_without_the_right_token_is_refused(
        self, client: httpx.AsyncClient, counter: Counter, data: dict[str, str]
    ) -> None:
        await form_token(client)
        response = await client.post("/form", data=data, headers=FORM_HEADERS)
        assert refused(response)
        assert counter.accepted == 0

    async def test_a_post_without_the_cookie_is_refused(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        token = await form_token(client)
        client.cookies.clear()
        response = await client.post("/form", data={CSRF_FIELD: token}, headers=FORM_HEADERS)
        assert refused(response)
        assert counter.accepted == 0

    async def test_a_token_signed_with_another_key_is_refused(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        forged = CsrfTokens.derived("another secret").new()
        client.cookies.set(CSRF_COOKIE, forged, domain=HOST)
        response = await client.post("/form", data={CSRF_FIELD: forged}, headers=FORM_HEADERS)
        assert refused(response)
        assert counter.accepted == 0

    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
        ],
        ids=["cross-site", "same-site", "foreign origin", "opaque origin"],
    )
    async def test_a_post_from_another_site_is_refused_even_with_the_token(
        self, client: httpx.AsyncClient, counter: Counter, headers: dict[str, str]
    ) -> None:
        token = await form_token(client)
        response = await client.post(
            "/form", data={CSRF_FIELD: token}, headers={**FORM_HEADERS, **headers}
        )
        assert refused(response)
        assert counter.accepted == 0

    async def test_an_opaque_origin_the_browser_says_is_same_origin_passes_with_the_token(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        # What Chromium sends from a page served with Referrer-Policy: no-referrer.
        token = await form_token(client)
        headers = {**FORM_HEADERS, "Origin": "null", "Sec-Fetch-Site": "same-origin"}
        response = await client.post(
            "/form", data={CSRF_FIELD: token, "name": "a"}, headers=headers
        )
        assert response.status_code < 400
        assert counter.accepted == 1

    async def test_the_refusal_page_links_back_to_the_form_in_the_layout(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/form?lang=en", data={}, headers=FORM_HEADERS)
        assert response.status_code == 403
        assert "<h1>Form not accepted</h1>" in response.text
        assert 'href="/form"' in response.text
        assert "Content-Security-Policy" in response.headers

    async def test_a_program_gets_the_refusal_in_the_json_error_format(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/form", json={"name": "x"})
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == CSRF_FIELD


class TestJsonApi:
    async def test_the_json_api_needs_no_token(
        self, client: httpx.AsyncClient, counter: Counter
    ) -> None:
        response = await client.post("/api/things", json={"name": "a"})
        assert response.status_code == 200
        assert counter.accepted == 1
