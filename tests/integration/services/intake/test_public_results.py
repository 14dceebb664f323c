"""Dossier and contract events on the real broker reach the public results; a replayed topic
counts nothing twice; an unreadable event is dead-lettered and the next one still counts."""

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from libs.kafka import create_broker, publish_event
from libs.kafka_connection import KafkaConnection
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import CONTRACT_EVENTS, DOSSIER_EVENTS, PUBLIC_RESULTS_DLQ
from tests.eventually import eventually
from tests.integration.services.intake.conftest import (
    RunningIntake,
    intake_settings,
    records_keyed,
    running_intake,
)
from tests.unit.services.intake.results_events import (
    MARCH,
    PromotionStory,
    dossier_event,
    promotion_story,
)

pytestmark = pytest.mark.integration

RESULTS_API = "/api/v1/public/results"


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = create_broker(KafkaConnection(kafka_bootstrap), "intake-public-results-test-producer")
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def results_only(database_url: str, kafka_bootstrap: str) -> Any:
    return intake_settings(
        database_url,
        kafka_bootstrap,
        OUTBOX_RELAY_ENABLED=False,
        STATUS_VIEW_ENABLED=False,
        PUBLIC_RESULTS_ENABLED=True,
    )


async def publish_story(producer: KafkaBroker, story: PromotionStory) -> None:
    for event in story.dossier_events:
        await publish_event(producer, DOSSIER_EVENTS, event)
    for contract in story.contract_events:
        await publish_event(producer, CONTRACT_EVENTS, contract)


def own_promotion() -> int:
    """Every test reads the shared topics from the start, other tests' events included: each
    tells its story in a promotion of its own (older events without one count in the 7th)."""
    return random.randint(100, 1000)


async def figures(running: RunningIntake, promotion: int) -> dict[str, Any]:
    response = await running.client.get(RESULTS_API)
    assert response.status_code == 200
    for results in response.json()["promotions"]:
        if results["promotion"] == promotion:
            found: dict[str, Any] = results
            return found
    return {"applications_received": [], "contracts_renewed": 0}


def received(results: dict[str, Any]) -> int:
    return sum(row["count"] for row in results["applications_received"])


async def test_the_story_counts_once_even_when_the_topics_are_replayed(
    database_url: str, kafka_bootstrap: str, producer: KafkaBroker
) -> None:
    promotion = own_promotion()
    story = promotion_story(promotion=promotion)
    async with running_intake(results_only(database_url, kafka_bootstrap)) as running:
        await publish_story(producer, story)

        async def story_counted() -> dict[str, Any] | None:
            results = await figures(running, promotion)
            # Each figure comes from its own partition or topic: wait for the whole story (the
            # figures the unit tests compute for it), not for the first ones to arrive.
            done = (
                results["contracts_renewed"] == 1
                and received(results) == 5
                and len(results.get("projects_selected", [])) == 1
                and [row["count"] for row in results.get("eig_recruited", [])] == [1]
                and results.get("seats", {}).get("used") == 1
            )
            return results if done else None

        counted = await eventually(story_counted, timeout=60)
        assert counted is not None
        assert counted["seats"]["cap"] == 30
        assert {
            "title": "Signaux faibles",
            "administration": "DINUM",
            "signed_on": "2026-03-31",
        } in counted["projects_selected"]

        # The same events again, then one new application: once it counts, the replay was read.
        await publish_story(producer, story)
        marker = dossier_event(
            DossierStatus.RECEIVED, MARCH, kind=DossierKind.PROJECT, promotion=promotion
        )
        await publish_event(producer, DOSSIER_EVENTS, marker)

        async def marker_counted() -> dict[str, Any] | None:
            results = await figures(running, promotion)
            return results if received(results) == received(counted) + 1 else None

        after = await eventually(marker_counted, timeout=60)
        assert after is not None
        assert after["eig_recruited"] == counted["eig_recruited"]
        assert after["seats"] == counted["seats"]
        assert after["contracts_renewed"] == counted["contracts_renewed"]
        assert after["projects_selected"] == counted["projects_selected"]


async def test_an_unreadable_event_is_dead_lettered_and_the_next_one_counts(
    sqlite_url: str, kafka_bootstrap: str, producer: KafkaBroker
) -> None:
    promotion = own_promotion()
    async with running_intake(results_only(sqlite_url, kafka_bootstrap)) as running:
        good = dossier_event(DossierStatus.RECEIVED, MARCH, promotion=promotion)
        key = str(good.dossier_id)
        # Same key, so same partition: the good event is read only once the poison is handled.
        poison = b'{"type": "DossierStatusChanged", "status": "received"}'
        await producer.publish(poison, topic=DOSSIER_EVENTS, key=key.encode())
        await publish_event(producer, DOSSIER_EVENTS, good)

        async def counted() -> bool:
            return received(await figures(running, promotion)) == 1

        await eventually(counted, timeout=60)

    dead = await records_keyed(kafka_bootstrap, PUBLIC_RESULTS_DLQ, key)
    assert [record.value for record in dead] == [poison]
