"""Against the real Temporal dev server: every accepted dossier is proven to have a workflow."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from deploy.local.engines import free_port
from libs.database import create_engine, session_factory
from libs.temporal import TemporalConnection
from services.intake.models import Application
from services.intake.reconciler import VISIBILITY_CHUNK, TemporalWorkflowLookup, reconcile_once
from services.intake.repository import OutboxRepository
from services.intake.service_layer import confirm_application, submit_application
from tests.eventually import eventually
from tests.integration.services.intake.conftest import (
    create_tables,
    intake_settings,
    running_intake,
)
from tests.unit.services.intake.forms import candidate_form
from workflows.dossier.models import dossier_workflow_id

pytestmark = pytest.mark.integration

GRACE = timedelta(seconds=30)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await create_tables(database_url)
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def temporal_lookup(client: Client) -> TemporalWorkflowLookup:
    return TemporalWorkflowLookup(
        TemporalConnection(client.service_client.config.target_host, client.namespace)
    )


async def sent_dossier(sessions: async_sessionmaker[AsyncSession]) -> UUID:
    """An accepted dossier whose submission the relay already published."""
    dossier_id = (await submit_application(sessions, candidate_form())).dossier_id
    await confirm_application(sessions, dossier_id)
    async with sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        row = await outbox.submission_of(dossier_id)
        assert row is not None and row.id is not None
        await outbox.mark_sent([row.id], datetime.now(UTC))
    return dossier_id


async def state(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> tuple[datetime | None, datetime | None]:
    """(workflow_confirmed_at, outbox sent_at) of a dossier."""
    async with sessions() as session:
        application = await session.get(Application, dossier_id)
        row = await OutboxRepository(session).submission_of(dossier_id)
        assert row is not None
    assert application is not None
    return application.workflow_confirmed_at, row.sent_at


def after_grace() -> datetime:
    return datetime.now(UTC) + GRACE + timedelta(seconds=1)


async def test_a_dossier_without_workflow_is_republished_and_one_with_is_confirmed(
    sessions: async_sessionmaker[AsyncSession], temporal_dev_server: WorkflowEnvironment
) -> None:
    client = temporal_dev_server.client
    orphan = await sent_dossier(sessions)
    started = await sent_dossier(sessions)
    # Any workflow under the dossier's id proves it exists; no worker is needed for that.
    handle = await client.start_workflow(
        "ReconcilerProbeWorkflow",
        id=dossier_workflow_id(started),
        task_queue=f"intake-reconciler-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        # Visibility (what the batched lookup reads) catches up with a start within moments.
        await eventually(lambda: _visible(client, handle.id), timeout=60)
        report = await reconcile_once(
            sessions, temporal_lookup(client), grace=GRACE, now=after_grace()
        )
    finally:
        await handle.terminate("test over")

    assert (report.checked, report.confirmed, report.republished) == (2, 1, 1)
    assert report.temporal_unreachable is False
    confirmed_at, started_sent_at = await state(sessions, started)
    assert confirmed_at is not None and started_sent_at is not None
    orphan_confirmed_at, orphan_sent_at = await state(sessions, orphan)
    assert orphan_confirmed_at is None
    assert orphan_sent_at is None, "the orphan's submission is queued for the relay again"


async def _visible(client: Client, workflow_id: str) -> bool:
    return (await client.count_workflows(f"WorkflowId = '{workflow_id}'")).count == 1


async def test_many_dossiers_are_checked_in_batched_queries(
    sessions: async_sessionmaker[AsyncSession], temporal_dev_server: WorkflowEnvironment
) -> None:
    client = temporal_dev_server.client
    started = [await sent_dossier(sessions) for _ in range(VISIBILITY_CHUNK + 5)]
    task_queue = f"intake-reconciler-test-{uuid.uuid4().hex[:8]}"
    handles = [
        await client.start_workflow(
            "ReconcilerProbeWorkflow", id=dossier_workflow_id(id_), task_queue=task_queue
        )
        for id_ in started
    ]
    try:
        await eventually(lambda: _visible(client, handles[-1].id), timeout=60)
        report = await reconcile_once(
            sessions, temporal_lookup(client), grace=GRACE, now=after_grace()
        )
    finally:
        for handle in handles:
            await handle.terminate("test over")

    assert (report.checked, report.confirmed, report.republished) == (len(started), len(started), 0)


async def test_an_unreachable_temporal_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dossier_id = await sent_dossier(sessions)
    nowhere = TemporalWorkflowLookup(TemporalConnection(f"127.0.0.1:{free_port()}", "default"))

    report = await reconcile_once(sessions, nowhere, grace=GRACE, now=after_grace())

    assert report.temporal_unreachable is True
    confirmed_at, sent_at = await state(sessions, dossier_id)
    assert confirmed_at is None and sent_at is not None


async def test_intake_is_ready_when_database_kafka_and_temporal_answer(
    sqlite_url: str, kafka_bootstrap: str, temporal_dev_server: WorkflowEnvironment
) -> None:
    client = temporal_dev_server.client
    settings = intake_settings(
        sqlite_url,
        kafka_bootstrap,
        STATUS_VIEW_ENABLED=False,  # its consumer group join only slows the test down
        RECONCILER_ENABLED=True,
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=client.namespace,
    )
    async with running_intake(settings) as running:
        response = await running.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "kafka": "ok", "temporal": "ok"}


async def test_intake_stays_in_service_degraded_without_temporal(
    sqlite_url: str, kafka_bootstrap: str
) -> None:
    settings = intake_settings(
        sqlite_url,
        kafka_bootstrap,
        STATUS_VIEW_ENABLED=False,
        RECONCILER_ENABLED=True,
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    async with running_intake(settings) as running:
        response = await running.client.get("/readyz")
    # Applications are still accepted (outbox), so intake must stay behind the load balancer.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    checks = response.json()["checks"]
    assert checks["temporal"].startswith("unreachable")
    assert checks["database"] == "ok"
