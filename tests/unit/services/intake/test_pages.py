"""Intake's public pages: the landing page with the promotion's seats and cut-offs (or without
them when the promotion cannot answer), the legal pages, in French and English."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.intake.app import create_app
from services.intake.promotion_calendar import PromotionOutlook
from tests.unit.services.intake.landing import (
    HOSTING,
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/",
    ".webmanifest": "application/manifest+json",
}


@pytest.fixture
def calendar() -> InMemoryPromotionCalendar:
    return InMemoryPromotionCalendar(sample_outlook())


@pytest.fixture
async def client(
    tmp_path: Path, calendar: InMemoryPromotionCalendar
) -> AsyncIterator[httpx.AsyncClient]:
    intake = await intake_with_pages(tmp_path / "eig.db", calendar)
    transport = httpx.ASGITransport(app=create_app(intake=intake))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            yield client
    finally:
        await intake.engine.dispose()


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert match is not None, element_id
    return match.group(1).strip()


class TestLanding:
    async def test_it_shows_the_promotion_s_seats_and_open_rounds(
        self, client: httpx.AsyncClient
    ) -> None:
        page = (await client.get("/", headers=PAGE)).text
        assert "Promotion 7" in page
        seats = [text_of(page, f"seats-{name}") for name in ("cap", "taken", "left")]
        assert seats == ["30", "12", "18"]
        rows = re.findall(r"<tr>\s*<td>(\w+)</td>", page)
        assert rows == ["Projets", "Candidatures"]  # neither the closed nor the deliberating one
        assert "(heure de Paris)" in page

    async def test_its_calls_to_action_lead_to_the_two_forms(
        self, client: httpx.AsyncClient
    ) -> None:
        page = (await client.get("/", headers=PAGE)).text
        assert 'href="/candidater"' in page and 'href="/deposer-un-projet"' in page

    async def test_it_says_who_may_apply(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/", headers=PAGE)).text
        for criterion in (
            "politique publique prioritaire",
            "haut niveau de décision",
            "directeur ou directrice technique",
            "4 250 € net par mois",
        ):
            assert criterion in page

    async def test_it_renders_when_the_promotion_does_not_answer(
        self, client: httpx.AsyncClient, calendar: InMemoryPromotionCalendar
    ) -> None:
        calendar.answer = None
        response = await client.get("/", headers=PAGE)
        assert response.status_code == 200
        assert 'id="calendar-unavailable"' in response.text
        assert 'id="seats-cap"' not in response.text
        assert 'href="/candidater"' in response.text

    async def test_it_says_when_no_round_is_open(
        self, client: httpx.AsyncClient, calendar: InMemoryPromotionCalendar
    ) -> None:
        assert calendar.answer is not None
        past_only = calendar.answer.rounds[:2]
        calendar.answer = PromotionOutlook(7, calendar.answer.seats, past_only)
        page = (await client.get("/", headers=PAGE)).text
        assert 'id="no-open-round"' in page and 'id="rounds"' not in page

    async def test_in_english(self, client: httpx.AsyncClient) -> None:
        page = (await client.get("/?lang=en", headers=PAGE)).text
        assert '<html lang="en">' in page
        assert "Who may apply?" in page and "Next cut-off dates" in page
        assert "(Paris time)" in page and "Qui peut candidater" not in page

    async def test_every_asset_it_references_is_served_with_its_type(
        self, client: httpx.AsyncClient
    ) -> None:
        page = (await client.get("/", headers=PAGE)).text
        assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"#]+)', page)))
        assert len(assets) >= 8  # DSFR's CSS, icons, our CSS, two scripts, favicons, manifest
        for path in assets:
            response = await client.get(path)
            assert response.status_code == 200, path
            expected = CONTENT_TYPES[Path(path).suffix]
            assert response.headers["content-type"].startswith(expected), path


class TestLegalPages:
    @pytest.mark.parametrize(
        ("path", "french", "english"),
        [
            ("/accessibilite", "Déclaration d’accessibilité", "Accessibility statement"),
            ("/mentions-legales", "Mentions légales", "Legal notice"),
            ("/donnees-personnelles", "Données personnelles", "Personal data"),
        ],
    )
    async def test_each_is_in_the_footer_and_in_both_languages(
        self, client: httpx.AsyncClient, path: str, french: str, english: str
    ) -> None:
        landing = (await client.get("/", headers=PAGE)).text
        assert f'href="{path}"' in landing
        for lang, heading in (("fr", french), ("en", english)):
            response = await client.get(f"{path}?lang={lang}", headers=PAGE)
            assert response.status_code == 200
            assert f"<h1>{heading}</h1>" in response.text
            assert "contact-eig@example.gouv.fr" in response.text

    async def test_the_legal_notice_names_the_host_from_settings(
        self, client: httpx.AsyncClient
    ) -> None:
        page = (await client.get("/mentions-legales", headers=PAGE)).text
        assert text_of(page, "hosting") == HOSTING

    async def test_the_personal_data_notice_lists_the_cookies_it_sets(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/donnees-personnelles?lang=en", headers=PAGE)
        headers = response.headers.get_list("set-cookie")
        set_cookies = {header.split("=", 1)[0] for header in headers}
        assert set_cookies == {"eig_csrf", "eig_lang"}
        for cookie in set_cookies:
            assert cookie in response.text


async def test_an_unknown_page_is_the_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/candidater-vite", headers=PAGE)
    assert response.status_code == 404
    assert "<h1>Page non trouvée</h1>" in response.text
