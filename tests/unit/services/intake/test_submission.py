"""An accepted application and its outbox row are written together, or not at all."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from libs.dossier_links import Purpose
from libs.messages.applications import (
    ApplicationReceived,
    ApplicationSubmitted,
    CandidateApplication,
    CandidateApplicationSubmitted,
    ProjectApplicationSubmitted,
)
from libs.messages.topics import APPLICATIONS, Headers
from libs.outbox.models import OutboxMessage
from libs.outbox.relay import outbox_message
from services.intake import service_layer
from services.intake.bootstrap import Intake
from services.intake.models import Application
from services.intake.service_layer import submit_application
from tests.tracing import named, trace_id_of, traceparent_trace_id
from tests.unit.services.intake.forms import (
    CANDIDATES,
    PROJECTS,
    apply_confirmed,
    candidate_body,
    candidate_form,
    confirm_email,
    project_body,
)

SUBMITTED: TypeAdapter[ApplicationSubmitted] = TypeAdapter(ApplicationSubmitted)


async def rows(intake: Intake) -> tuple[list[Application], list[OutboxMessage]]:
    async with intake.sessions() as session:
        applications = list((await session.exec(select(Application))).all())
        outbox = list((await session.exec(select(OutboxMessage))).all())
    return applications, outbox


class TestCandidateApplication:
    async def test_it_is_accepted_without_any_private_link(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        before = datetime.now(UTC)
        response = await client.post(CANDIDATES, json=candidate_body())

        assert response.status_code == 202
        body = response.json()
        dossier_id = UUID(body["dossier_id"])
        assert body["kind"] == "candidate"
        assert body["status"] == "received"
        # The private links go to the e-mail address alone: the answer holds none.
        assert "status_url" not in body
        for purpose in Purpose:
            assert intake.link_keys.token(purpose, dossier_id) not in response.text
        confirm_by = datetime.fromisoformat(body["confirm_by"])
        assert before + timedelta(hours=72) <= confirm_by <= datetime.now(UTC) + timedelta(hours=72)

    async def test_it_is_stored_unconfirmed_with_its_confirmation_request(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body())
        dossier_id = UUID(response.json()["dossier_id"])

        applications, outbox = await rows(intake)
        assert [application.dossier_id for application in applications] == [dossier_id]
        stored = applications[0]
        assert stored.kind == "candidate"
        assert stored.title == "technical_director"
        assert stored.payload["email"] == "camille.martin@example.fr"
        assert "consent" not in stored.payload
        assert stored.email_confirmed_at is None
        assert stored.workflow_confirmed_at is None

        # Only what the confirmation e-mail needs travels before the address is confirmed.
        [row] = outbox
        assert row.topic == APPLICATIONS
        assert row.key == str(dossier_id)
        assert row.sent_at is None
        received = ApplicationReceived.model_validate_json(row.payload)
        assert received.dossier_id == dossier_id
        assert received.event_id == row.event_id
        assert (received.kind, received.title) == ("candidate", "technical_director")
        assert received.contact.email == "camille.martin@example.fr"
        assert received.confirm_by == datetime.fromisoformat(response.json()["confirm_by"])
        assert "entrepreneurial_experience" not in row.payload
        assert row.headers == {Headers.EVENT_TYPE: received.type, Headers.SCHEMA_VERSION: "1"}

    async def test_confirming_writes_the_submission_that_starts_the_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body())
        dossier_id = UUID(response.json()["dossier_id"])

        assert (await confirm_email(client, intake.link_keys, dossier_id)).status_code == 303

        applications, outbox = await rows(intake)
        stored = applications[0]
        assert stored.email_confirmed_at is not None
        assert len(outbox) == 2
        row = outbox[1]
        assert (row.topic, row.key) == (APPLICATIONS, str(dossier_id))
        event = SUBMITTED.validate_json(row.payload)
        assert isinstance(event, CandidateApplicationSubmitted)
        assert event.dossier_id == dossier_id
        assert event.event_id == row.event_id
        # The dossier counts from the application, not from its confirmation.
        assert event.occurred_at == stored.created_at
        assert event.payload == CandidateApplication.model_validate(stored.payload)
        assert row.headers == {Headers.EVENT_TYPE: event.type, Headers.SCHEMA_VERSION: "1"}

    async def test_each_application_gets_its_own_dossier(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        first = await client.post(CANDIDATES, json=candidate_body())
        second = await client.post(CANDIDATES, json=candidate_body())
        assert first.json()["dossier_id"] != second.json()["dossier_id"]
        applications, outbox = await rows(intake)
        assert len(applications) == len(outbox) == 2


class TestProjectApplication:
    async def test_it_is_stored_with_its_title_and_event(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(PROJECTS, json=project_body(beta_gouv_product_url=None))

        assert response.status_code == 202
        assert response.json()["kind"] == "project"
        await confirm_email(client, intake.link_keys, response.json()["dossier_id"])
        applications, outbox = await rows(intake)
        assert applications[0].title == "Détecter plus tôt les entreprises en difficulté"
        received = ApplicationReceived.model_validate_json(outbox[0].payload)
        assert (received.kind, received.title) == ("project", applications[0].title)
        event = SUBMITTED.validate_json(outbox[1].payload)
        assert isinstance(event, ProjectApplicationSubmitted)
        assert event.payload.administration_kind == "central"
        assert event.payload.beta_gouv_product_url is None
        assert outbox[1].key == response.json()["dossier_id"]


class TestOneTransaction:
    async def test_a_failing_outbox_insert_leaves_no_application(
        self, intake: Intake, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        taken_event_id = uuid4()
        async with intake.sessions() as session, session.begin():
            earlier = CandidateApplicationSubmitted(
                event_id=taken_event_id, dossier_id=uuid4(), payload=candidate_form()
            )
            session.add(outbox_message(APPLICATIONS, earlier, datetime.now(UTC)))

        def clashing_outbox_message(topic, event, created_at):
            row = outbox_message(topic, event, created_at)
            row.event_id = taken_event_id
            return row

        monkeypatch.setattr(service_layer, "outbox_message", clashing_outbox_message)
        with pytest.raises(IntegrityError):
            await submit_application(intake.sessions, candidate_form())

        applications, outbox = await rows(intake)
        assert applications == []
        assert [row.event_id for row in outbox] == [taken_event_id]

    async def test_the_relay_is_woken_once_the_rows_are_committed(
        self, intake: Intake, sqlite_url: str
    ) -> None:
        database_file = sqlite_url.removeprefix("sqlite:///")
        visible_to_another_connection: list[tuple[int, int]] = []

        def on_committed() -> None:
            with closing(sqlite3.connect(database_file)) as connection:
                visible_to_another_connection.append(
                    (
                        connection.execute("SELECT count(*) FROM applications").fetchone()[0],
                        connection.execute("SELECT count(*) FROM outbox_messages").fetchone()[0],
                    )
                )

        await submit_application(intake.sessions, candidate_form(), on_committed=on_committed)
        assert visible_to_another_connection == [(1, 1)]


class TestTheTraceOfASubmission:
    async def test_the_outbox_row_continues_the_caller_s_trace(
        self, client: httpx.AsyncClient, intake: Intake, spans: InMemorySpanExporter
    ) -> None:
        trace_id = uuid4().hex
        caller = {Headers.TRACEPARENT: f"00-{trace_id}-{'2' * 16}-01"}

        response = await client.post(CANDIDATES, json=candidate_body(), headers=caller)

        assert response.status_code == 202
        [request] = named(spans.get_finished_spans(), f"POST {CANDIDATES}")
        assert trace_id_of(request) == trace_id
        assert request.attributes is not None
        assert request.attributes["http.route"] == CANDIDATES
        assert request.attributes["http.response.status_code"] == 202
        _, [row] = await rows(intake)
        assert row.traceparent is not None
        assert traceparent_trace_id(row.traceparent) == trace_id
        # Not the incoming span id: the request's own span is the row's parent.
        assert request.context is not None
        assert row.traceparent.split("-")[2] == format(request.context.span_id, "016x")

    async def test_no_span_holds_the_private_link_s_token(
        self, client: httpx.AsyncClient, intake: Intake, spans: InMemorySpanExporter
    ) -> None:
        accepted = await apply_confirmed(client, intake, CANDIDATES, candidate_body())
        link = urlsplit(accepted["status_url"])
        [token] = parse_qs(link.query)["token"]

        assert (await client.get(f"{link.path}?{link.query}")).status_code == 200

        ended = spans.get_finished_spans()
        assert "GET /api/v1/dossiers/{dossier_id}" in [span.name for span in ended]
        for span in ended:
            assert token not in span.name
            assert not [value for value in (span.attributes or {}).values() if token in str(value)]
