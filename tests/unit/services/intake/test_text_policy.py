"""Names, administration and titles refuse links and markup (the spam of issue 9), through
the API's 422 naming the field; real names and titles pass."""

import httpx
import pytest
from pydantic_core import PydanticCustomError

from services.intake.bootstrap import Intake
from services.intake.text_policy import check_single_line_text
from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body
from tests.unit.services.intake.test_validation import fields_of, stored_rows

PLAIN_TEXTS = [
    "Camille",
    "Jean-Pierre O'Neil",
    "M. Dupont",
    "J.-P. Lefèvre",
    "Ministère de l'Intérieur et des Outre-mer",
    "Détecter plus tôt les entreprises en difficulté",
    "Soutien aux entreprises (prévention) & faillites",
    "Version 2.0 du service",
    "DINUM / Etalab",
]


class TestPolicy:
    @pytest.mark.parametrize("text", PLAIN_TEXTS)
    def test_names_and_titles_pass(self, text: str) -> None:
        assert check_single_line_text(text) == text

    @pytest.mark.parametrize(
        ("text", "error_type"),
        [
            ("Gagnez 1000€ https://spam.example/x", "url_not_allowed"),
            ("Camille www.spam.fr", "url_not_allowed"),
            ("Camille spam.fr", "url_not_allowed"),
            ("bit.ly/abc", "url_not_allowed"),
            ("javascript:alert(1)", "url_not_allowed"),
            ("écrivez à x@example.fr", "email_not_allowed"),
            ("<b>Camille</b>", "markup_not_allowed"),
            ("{{ 7*7 }}", "markup_not_allowed"),
            ("[cliquez ici](x)", "markup_not_allowed"),
            ("Camille&#32;", "markup_not_allowed"),
            ("Camille\nGagnez 1000€", "line_break"),
        ],
    )
    def test_links_markup_and_line_breaks_are_refused(self, text: str, error_type: str) -> None:
        with pytest.raises(PydanticCustomError) as refused:
            check_single_line_text(text)
        assert refused.value.type == error_type


class TestThroughTheApi:
    @pytest.mark.parametrize("field", ["first_name", "last_name"])
    async def test_a_link_in_a_candidates_name_is_a_422_naming_the_field(
        self, client: httpx.AsyncClient, intake: Intake, field: str
    ) -> None:
        body = candidate_body(**{field: "Gagnez 1000€ https://spam.example"})

        response = await client.post(CANDIDATES, json=body)

        assert response.status_code == 422
        assert fields_of(response) == [field]
        assert response.json()["errors"][0]["type"] == "url_not_allowed"
        assert await stored_rows(intake) == (0, 0)

    @pytest.mark.parametrize(
        "field",
        [
            "administration_name",
            "project_title",
            "public_policy",
            "sponsor_name",
            "sponsor_role",
            "contact_name",
        ],
    )
    async def test_markup_in_a_projects_short_field_is_a_422_naming_the_field(
        self, client: httpx.AsyncClient, intake: Intake, field: str
    ) -> None:
        response = await client.post(PROJECTS, json=project_body(**{field: "<a href=x>win</a>"}))

        assert response.status_code == 422
        assert fields_of(response) == [field]
        assert response.json()["errors"][0]["type"] == "markup_not_allowed"
        assert await stored_rows(intake) == (0, 0)

    async def test_long_texts_may_still_cite_a_site(self, client: httpx.AsyncClient) -> None:
        body = project_body(problem_statement="Voir https://beta.gouv.fr/startups/ pour l'état.")

        response = await client.post(PROJECTS, json=body)

        assert response.status_code == 202
