"""Dossier events on Kafka reach the applicant's status page; replays change nothing."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import KafkaBroker

from libs.kafka import create_broker, publish_event
from libs.kafka_connection import KafkaConnection
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.messages.topics import DOSSIER_EVENTS, INTAKE_STATUS_VIEW_DLQ
from tests.eventually import eventually
from tests.integration.services.intake.conftest import (
    RunningIntake,
    intake_settings,
    records_keyed,
    running_intake,
)
from tests.unit.services.intake.forms import CANDIDATES, apply_confirmed, candidate_body

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(KafkaConnection(kafka_bootstrap), "intake-status-view-test-producer")
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def status_changed(dossier_id: str, minutes_later: int, note: str) -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=dossier_id,
        occurred_at=datetime.now(UTC) + timedelta(minutes=minutes_later),
        kind=DossierKind.CANDIDATE,
        status=DossierStatus.RECEIVED,
        title="technical_director",
        contact=Contact(name="Camille Martin", email="camille.martin@example.fr"),
        note=note,
    )


async def notes_on_page(running: RunningIntake, status_url: str) -> list[str]:
    response = await running.client.get(status_url.removeprefix("http://intake.test"))
    assert response.status_code == 200
    return [entry["note"] for entry in response.json()["timeline"]]


async def test_status_changes_appear_once_each_even_when_replayed(
    database_url: str, kafka_bootstrap: str, producer: KafkaBroker
) -> None:
    settings = intake_settings(database_url, kafka_bootstrap, OUTBOX_RELAY_ENABLED=False)
    async with running_intake(settings) as running:
        accepted = await apply_confirmed(
            running.client, running.intake, CANDIDATES, candidate_body()
        )
        link = accepted["status_url"]
        first = status_changed(accepted["dossier_id"], 1, "Dossier complet")
        await publish_event(producer, DOSSIER_EVENTS, first)

        async def first_shown() -> bool:
            return await notes_on_page(running, link) == ["", "Dossier complet"]

        await eventually(first_shown, timeout=30)

        # The same event again, then a new one: once the new one shows, the replay was read.
        await publish_event(producer, DOSSIER_EVENTS, first)
        second = status_changed(accepted["dossier_id"], 2, "Entretien prévu")
        await publish_event(producer, DOSSIER_EVENTS, second)

        async def second_shown() -> list[str] | None:
            notes = await notes_on_page(running, link)
            return notes if "Entretien prévu" in notes else None

        assert await eventually(second_shown, timeout=30) == [
            "",
            "Dossier complet",
            "Entretien prévu",
        ]


async def test_an_unreadable_event_is_dead_lettered_and_the_next_one_still_shows(
    sqlite_url: str, kafka_bootstrap: str, producer: KafkaBroker
) -> None:
    settings = intake_settings(sqlite_url, kafka_bootstrap, OUTBOX_RELAY_ENABLED=False)
    async with running_intake(settings) as running:
        accepted = await apply_confirmed(
            running.client, running.intake, CANDIDATES, candidate_body()
        )
        # Same key, so same partition: the good event is read only once the poison is dealt with.
        dossier_key = accepted["dossier_id"]
        poison = b'{"type": "DossierStatusChanged", "note": "not a whole event"}'
        await producer.publish(poison, topic=DOSSIER_EVENTS, key=dossier_key.encode())
        await publish_event(
            producer, DOSSIER_EVENTS, status_changed(accepted["dossier_id"], 1, "Après")
        )

        async def shown() -> bool:
            return "Après" in await notes_on_page(running, accepted["status_url"])

        await eventually(shown, timeout=30)

    dead = await records_keyed(kafka_bootstrap, INTAKE_STATUS_VIEW_DLQ, dossier_key)
    assert [record.value for record in dead] == [poison]
    headers = {name: value.decode() for name, value in dead[0].headers}
    assert headers["eig-dlq-source-topic"] == DOSSIER_EVENTS
