"""French unless the visitor chose English: the choice is a link, then a cookie."""

import pytest
from starlette.requests import Request

from libs.messages.common import Language
from libs.web.language import LANGUAGE_COOKIE, page_language, switch_url
from tests.unit.libs.web.site_client import BROWSER_ACCEPT, site_client

PAGE = {"Accept": BROWSER_ACCEPT}


def request(query: str = "", cookie: str | None = None) -> Request:
    headers = [(b"cookie", f"{LANGUAGE_COOKIE}={cookie}".encode())] if cookie else []
    scope = {
        "type": "http",
        "path": "/dossiers/1",
        "query_string": query.encode(),
        "headers": headers,
    }
    return Request(scope)


class TestChoice:
    @pytest.mark.parametrize(
        ("query", "cookie", "expected"),
        [
            ("", None, Language.FR),
            ("lang=en", None, Language.EN),
            ("", "en", Language.EN),
            ("lang=fr", "en", Language.FR),
            ("lang=de", "en", Language.EN),
            ("lang=de", None, Language.FR),
        ],
        ids=["default", "link", "cookie", "link over cookie", "unknown link", "unknown alone"],
    )
    def test_the_page_language(self, query: str, cookie: str | None, expected: Language) -> None:
        assert page_language(request(query, cookie)) == expected

    def test_the_switch_keeps_the_rest_of_the_address(self) -> None:
        url = switch_url(request("token=abc&lang=fr&withdrawal=recorded"), Language.EN)
        assert url == "/dossiers/1?token=abc&withdrawal=recorded&lang=en"


class TestInPages:
    async def test_a_page_is_french_and_links_to_english(self) -> None:
        async with site_client() as client:
            page = (await client.get("/form", headers=PAGE)).text
        assert '<html lang="fr">' in page and "<h1>Formulaire</h1>" in page
        assert 'href="/form?lang=en" hreflang="en" lang="en">English</a>' in page

    async def test_the_english_choice_is_remembered_for_the_next_pages(self) -> None:
        async with site_client() as client:
            first = await client.get("/form?lang=en", headers=PAGE)
            assert "<h1>Form</h1>" in first.text
            assert client.cookies[LANGUAGE_COOKIE] == "en"
            next_page = await client.get("/gallery", headers=PAGE)
        assert '<html lang="en">' in next_page.text and "<h1>Components</h1>" in next_page.text
        assert 'hreflang="fr" lang="fr">Français</a>' in next_page.text

    async def test_no_cookie_is_set_until_a_choice_is_made(self) -> None:
        async with site_client() as client:
            response = await client.get("/form", headers=PAGE)
        assert LANGUAGE_COOKIE not in response.cookies


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_every_text_of_the_shared_layout_is_in_the_page_s_language(lang: str) -> None:
    async with site_client() as client:
        page = (await client.get(f"/gallery?errors=true&lang={lang}", headers=PAGE)).text
    french = [
        "Accès rapide",
        "Pied de page",
        "Mentions légales",
        "Données personnelles",
        "Étape suivante",
        "Page précédente",
        "obligatoires",
        "caractères maximum",
    ]
    english = [
        "Quick access",
        "Footer",
        "Legal notice",
        "Personal data",
        "Next step",
        "Previous page",
        "are required",
        "characters at most",
    ]
    shown, hidden = (french, english) if lang == "fr" else (english, french)
    assert [text for text in shown if text not in page] == []
    assert [text for text in hidden if text in page] == []
