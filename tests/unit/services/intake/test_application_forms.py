"""The application forms over HTTP: every field of the API's models, a valid form stored once
through the service layer (whatever the number of clicks), refusals that keep the input and
name each field, and clear pages for what a browser should never send."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlmodel import func, select

from libs.database import transaction
from libs.outbox.models import OutboxMessage
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.models import Application
from services.intake.schemas import CandidateApplicationCreate, ProjectApplicationCreate
from tests.html_forms import hidden
from tests.tracing import named, trace_id_of, traceparent_trace_id
from tests.unit.services.intake.landing import (
    InMemoryPromotionCalendar,
    intake_with_pages,
    sample_outlook,
)

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

CANDIDATE: dict[str, Any] = {
    "first_name": "Camille",
    "last_name": "Martin",
    "email": "camille.martin@example.fr",
    "preferred_language": "fr",
    "role": "technical_director",
    "years_of_experience": "12",
    "entrepreneurial_experience": "Cofondatrice d'une jeune pousse, quinze personnes.",
    "motivation": "",
    "links": "https://github.com/camille-martin\n\n  https://camille-martin.fr  \n",
    "consent": "on",
}

PROJECT: dict[str, Any] = {
    "administration_name": "Direction générale des Finances publiques",
    "administration_kind": "central",
    "sponsor_name": "Claire Dubois",
    "sponsor_role": "Cheffe de service",
    "project_title": "Détecter plus tôt les entreprises en difficulté",
    "problem_statement": "Les signaux sont dispersés.",
    "public_policy": "Soutien aux entreprises",
    "twelve_month_goals": "Trois régions pilotes.",
    "profiles_wanted": ["product_director", "technical_director"],
    "beta_gouv_phase": "construction",
    "beta_gouv_product_url": "",
    "contact_name": "Julien Lefèvre",
    "contact_email": "julien.lefevre@example.gouv.fr",
    "preferred_language": "en",
    "consent": "on",
}


@pytest.fixture
async def intake(tmp_path: Path) -> AsyncIterator[Intake]:
    intake = await intake_with_pages(
        tmp_path / "eig.db", InMemoryPromotionCalendar(sample_outlook()), MAX_BODY_BYTES=16_384
    )
    yield intake
    await intake.engine.dispose()


@pytest.fixture
async def client(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(intake=intake))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


async def shown(client: httpx.AsyncClient, path: str) -> tuple[str, dict[str, str]]:
    """The form page, and the hidden fields a browser sends back with it."""
    response = await client.get(path, headers=PAGE)
    assert response.status_code == 200
    return response.text, {
        "csrf_token": hidden(response.text, "csrf_token"),
        "form_key": hidden(response.text, "form_key"),
    }


async def count(intake: Intake, model: type[Application] | type[OutboxMessage]) -> int:
    async with transaction(intake.sessions) as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


class TestTheFormsShowEveryFieldOfTheApi:
    @pytest.mark.parametrize(
        ("path", "model"),
        [
            ("/candidater", CandidateApplicationCreate),
            ("/deposer-un-projet", ProjectApplicationCreate),
        ],
    )
    async def test_each_field_has_a_control_and_a_label(
        self, client: httpx.AsyncClient, path: str, model: type[Any]
    ) -> None:
        page, _ = await shown(client, path)
        for name in model.model_fields:
            assert f'name="{name}"' in page, name
            assert f'for="field-{name}"' in page or f'id="field-{name}-legend"' in page, name

    async def test_limits_and_required_marks_are_the_model_s(
        self, client: httpx.AsyncClient
    ) -> None:
        page, _ = await shown(client, "/candidater")
        first_name = re.search(r'<input[^>]*id="field-first_name"[^>]*>', page)
        assert first_name is not None
        assert 'maxlength="200"' in first_name[0] and 'required="required"' in first_name[0]
        experience = re.search(r'<textarea[^>]*id="field-entrepreneurial_experience"[^>]*>', page)
        assert experience is not None and 'maxlength="5000"' in experience[0]
        motivation = re.search(r'<textarea[^>]*id="field-motivation"[^>]*>', page)
        assert motivation is not None and "required" not in motivation[0]
        assert 'href="/donnees-personnelles"' in page

    async def test_in_english(self, client: httpx.AsyncClient) -> None:
        page, _ = await shown(client, "/deposer-un-projet?lang=en")
        assert "Submit an administration’s project" in page and "Central administration" in page
        assert 'value="en" checked' in page  # the e-mails' language follows the page's


class TestAValidForm:
    async def test_it_is_stored_with_its_outbox_row_then_confirmed(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        response = await client.post("/candidater", data={**CANDIDATE, **fields}, headers=PAGE)
        assert response.status_code == 303
        location = response.headers["location"]
        assert re.fullmatch(r"/candidater/confirmation/[0-9a-f-]{36}", location)
        assert (await count(intake, Application), await count(intake, OutboxMessage)) == (1, 1)
        async with transaction(intake.sessions) as session:
            stored = (await session.exec(select(Application))).one()
        assert stored.payload["links"] == [
            "https://github.com/camille-martin",
            "https://camille-martin.fr/",
        ]
        assert stored.payload["years_of_experience"] == 12

        confirmation = await client.get(location, headers=PAGE)
        assert confirmation.status_code == 200
        assert location.rsplit("/", 1)[1] in confirmation.text
        assert "Camille" not in confirmation.text  # a reference, no personal data
        assert confirmation.headers["cache-control"] == "no-store"
        assert confirmation.headers["referrer-policy"] == "no-referrer"
        assert 'id="next-round"' in confirmation.text and "(heure de Paris)" in confirmation.text

    async def test_sent_twice_it_makes_one_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/deposer-un-projet")
        first = await client.post("/deposer-un-projet", data={**PROJECT, **fields}, headers=PAGE)
        again = await client.post("/deposer-un-projet", data={**PROJECT, **fields}, headers=PAGE)
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        assert await count(intake, Application) == 1

    async def test_sent_again_changed_with_the_same_key_it_says_so(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        await client.post("/candidater", data={**CANDIDATE, **fields}, headers=PAGE)
        changed = {**CANDIDATE, **fields, "first_name": "Camilla"}
        response = await client.post("/candidater", data=changed, headers=PAGE)
        assert response.status_code == 409
        assert 'id="form-notice"' in response.text and 'value="Camilla"' in response.text
        assert hidden(response.text, "form_key") != fields["form_key"]  # a new dossier if sent
        assert await count(intake, Application) == 1

    async def test_a_confirmation_of_another_kind_or_unknown_is_not_found(
        self, client: httpx.AsyncClient
    ) -> None:
        _, fields = await shown(client, "/candidater")
        sent = await client.post("/candidater", data={**CANDIDATE, **fields}, headers=PAGE)
        reference = sent.headers["location"].rsplit("/", 1)[1]
        for path in (
            f"/deposer-un-projet/confirmation/{reference}",
            "/candidater/confirmation/00000000-0000-4000-8000-000000000000",
            "/candidater/confirmation/not-a-reference",
        ):
            response = await client.get(path, headers=PAGE)
            assert response.status_code == 404, path
            assert "<h1>Page non trouvée</h1>" in response.text


class TestAnInvalidForm:
    async def test_it_comes_back_with_the_input_and_each_field_s_error(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        posted = {**CANDIDATE, **fields, "email": "camille@", "links": "https://ok.fr\nnope"}
        del posted["consent"]
        response = await client.post("/candidater", data=posted, headers=PAGE)
        assert response.status_code == 422
        page = response.text
        summary = re.findall(r'<li><a href="#field-(\w+)">([^<]+)</a>', page)
        assert [name for name, _ in summary] == ["email", "links", "consent"]
        assert "Ligne 2" in summary[1][1]
        email = re.search(r'<input[^>]*id="field-email"[^>]*>', page)
        assert email is not None
        assert 'aria-invalid="true"' in email[0] and 'value="camille@"' in email[0]
        assert 'aria-describedby="field-email-messages"' in email[0]
        assert re.search(r'id="field-email-messages"[^>]*>\s*<p class="fr-message', page)
        assert CANDIDATE["entrepreneurial_experience"].replace("'", "&#39;") in page
        assert hidden(page, "form_key") == fields["form_key"]
        assert "data-eig-draft-restore" not in page  # what was posted wins over the draft
        assert await count(intake, Application) == 0

    async def test_missing_fields_are_named_not_a_server_error(
        self, client: httpx.AsyncClient
    ) -> None:
        _, fields = await shown(client, "/deposer-un-projet")
        response = await client.post("/deposer-un-projet", data=fields, headers=PAGE)
        assert response.status_code == 422
        assert len(re.findall(r'<li><a href="#field-', response.text)) == 13

    async def test_in_english_the_messages_are_english(self, client: httpx.AsyncClient) -> None:
        _, fields = await shown(client, "/candidater?lang=en")
        response = await client.post(
            "/candidater?lang=en", data={**fields, "years_of_experience": "douze"}, headers=PAGE
        )
        assert "Years of professional experience: Enter a whole number." in response.text


class TestWhatABrowserShouldNeverSend:
    async def test_without_the_csrf_token_nothing_is_stored(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        posted = {**CANDIDATE, "form_key": fields["form_key"]}
        response = await client.post("/candidater", data=posted, headers=PAGE)
        assert response.status_code == 403
        assert await count(intake, Application) == 0

    async def test_from_another_site_nothing_is_stored(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        headers = {**PAGE, "Sec-Fetch-Site": "cross-site"}
        response = await client.post("/candidater", data={**CANDIDATE, **fields}, headers=headers)
        assert response.status_code == 403
        assert await count(intake, Application) == 0

    async def test_json_gets_a_page_saying_the_form_takes_a_form(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/candidater", json={"first_name": "x"}, headers=PAGE)
        assert response.status_code == 415
        assert response.headers["content-type"].startswith("text/html")
        program = await client.post("/candidater", json={"first_name": "x"})
        assert program.status_code == 415
        assert program.json()["errors"][0]["field"] == "Content-Type"

    async def test_without_its_form_key_it_is_a_clear_page(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        _, fields = await shown(client, "/candidater")
        posted = {**CANDIDATE, "csrf_token": fields["csrf_token"]}
        response = await client.post("/candidater", data=posted, headers=PAGE)
        assert response.status_code == 400
        assert "<h1>Requête incorrecte</h1>" in response.text
        assert await count(intake, Application) == 0

    async def test_a_body_over_the_limit_is_a_clear_page(self, client: httpx.AsyncClient) -> None:
        _, fields = await shown(client, "/candidater")
        posted = {**CANDIDATE, **fields, "motivation": "é" * 20_000}
        response = await client.post("/candidater", data=posted, headers=PAGE)
        assert response.status_code == 413
        assert "<h1>Envoi trop volumineux</h1>" in response.text


class TestTheTraceOfASubmittedForm:
    async def test_the_outbox_row_continues_the_browser_s_request_span(
        self, client: httpx.AsyncClient, intake: Intake, spans: InMemorySpanExporter
    ) -> None:
        _, fields = await shown(client, "/candidater")
        response = await client.post("/candidater", data={**CANDIDATE, **fields}, headers=PAGE)
        assert response.status_code == 303

        async with transaction(intake.sessions) as session:
            row = (await session.exec(select(OutboxMessage))).one()
        [request] = named(spans.get_finished_spans(), "POST /candidater")
        assert request.kind == SpanKind.SERVER
        assert row.traceparent is not None
        assert traceparent_trace_id(row.traceparent) == trace_id_of(request)
        assert request.attributes is not None
        assert request.attributes["eig.dossier_id"] == str(row.key)
