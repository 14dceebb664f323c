"""An accepted application and its outbox row are written together, or not at all."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from libs.dossier_links import is_valid_token
from libs.messages.applications import (
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
from tests.unit.services.intake.forms import (
    CANDIDATES,
    PROJECTS,
    candidate_body,
    candidate_form,
    project_body,
)

SUBMITTED: TypeAdapter[ApplicationSubmitted] = TypeAdapter(ApplicationSubmitted)


async def rows(intake: Intake) -> tuple[list[Application], list[OutboxMessage]]:
    async with intake.sessions() as session:
        applications = list((await session.exec(select(Application))).all())
        outbox = list((await session.exec(select(OutboxMessage))).all())
    return applications, outbox


class TestCandidateApplication:
    async def test_it_is_accepted_with_a_private_status_link(
        self, client: httpx.AsyncClient, intake: Intake
    ) -> None:
        response = await client.post(CANDIDATES, json=candidate_body())

        assert response.status_code == 202
        body = response.json()
        dossier_id = UUID(body["dossier_id"])
        assert body["kind"] == "candidate"
        assert body["status"] == "received"
        link = urlsplit(body["status_url"])
        assert f"{link.scheme}://{link.netloc}" == "https://candidatures.eig.example"
        assert link.path == f"/api/v1/dossiers/{dossier_id}"
        token = parse_qs(link.query)["token"][0]
        assert is_valid_token(intake.link_secret, dossier_id, token)

    async def test_the_application_and_its_outbox_row_are_stored(
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
        assert stored.workflow_confirmed_at is None

        assert len(outbox) == 1
        row = outbox[0]
        assert row.topic == APPLICATIONS
        assert row.key == str(dossier_id)
        assert row.sent_at is None
        event = SUBMITTED.validate_json(row.payload)
        assert isinstance(event, CandidateApplicationSubmitted)
        assert event.dossier_id == dossier_id
        assert event.event_id == row.event_id
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
        applications, outbox = await rows(intake)
        assert applications[0].title == "Détecter plus tôt les entreprises en difficulté"
        event = SUBMITTED.validate_json(outbox[0].payload)
        assert isinstance(event, ProjectApplicationSubmitted)
        assert event.payload.administration_kind == "central"
        assert event.payload.beta_gouv_product_url is None
        assert outbox[0].key == response.json()["dossier_id"]


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
