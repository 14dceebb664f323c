"""The landing page's promotion calendar through the promotion client, against a real
PromotionWorkflow on the Temporal dev server: both queries read, and an unknown promotion or
an unreachable server is unavailable."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from deploy.local.engines import free_port
from libs.messages.common import DossierKind
from libs.temporal import TemporalConnection
from services.intake.promotion_calendar import DirectoryPromotionCalendar, PromotionUnavailable
from tests.unit.workflows.promotion.promotions import (
    promotion_worker,
    round_plan,
    unique_promotion_number,
)
from workflows.promotion.client import TemporalPromotionDirectory
from workflows.promotion.models import PromotionInput, promotion_workflow_id
from workflows.promotion.workflows import PromotionWorkflow

pytestmark = pytest.mark.integration


def landing_calendar(connection: TemporalConnection, number: int) -> DirectoryPromotionCalendar:
    directory = TemporalPromotionDirectory(connection, task_queue="unused-by-queries")
    return DirectoryPromotionCalendar(directory, number)


async def test_the_outlook_is_the_running_promotion_s_calendar_and_seats(
    temporal_dev_server: WorkflowEnvironment,
) -> None:
    client = temporal_dev_server.client
    number = unique_promotion_number()
    now = datetime.now(UTC)
    rounds = [
        round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=30)),
        round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10)),
    ]
    task_queue = f"landing-{uuid.uuid4()}"
    connection = TemporalConnection(client.service_client.config.target_host, client.namespace)
    async with promotion_worker(client, task_queue):
        handle = await client.start_workflow(
            PromotionWorkflow.run,
            PromotionInput(number=number, year=2026, seat_cap=30, rounds=rounds),
            id=promotion_workflow_id(number),
            task_queue=task_queue,
        )
        try:
            outlook = await landing_calendar(connection, number).outlook()
        finally:
            await handle.terminate()
    assert (outlook.number, outlook.seats.seat_cap, outlook.seats_left) == (number, 30, 30)
    upcoming = outlook.upcoming_rounds(now)
    assert [ref.kind for ref in upcoming] == [DossierKind.PROJECT, DossierKind.CANDIDATE]


async def test_a_promotion_that_was_never_started_is_unavailable(
    temporal_dev_server: WorkflowEnvironment,
) -> None:
    client = temporal_dev_server.client
    connection = TemporalConnection(client.service_client.config.target_host, client.namespace)
    with pytest.raises(PromotionUnavailable):
        await landing_calendar(connection, unique_promotion_number()).outlook()


async def test_an_unreachable_temporal_is_unavailable() -> None:
    connection = TemporalConnection(f"127.0.0.1:{free_port()}", "default")
    with pytest.raises(PromotionUnavailable):
        await landing_calendar(connection, 7).outlook()
