"""The applicant's withdrawal against the Temporal dev server and the real dossier workflows."""

from collections.abc import AsyncIterator
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from sqlmodel import SQLModel
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.dossier_links import withdraw_url
from libs.messages.applications import CandidateApplicationSubmitted, ProjectApplicationSubmitted
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.intake.bootstrap import bootstrap
from tests.unit.services.intake.conftest import LINK_KEYS, offline_settings
from tests.unit.services.intake.forms import (
    CANDIDATES,
    PROJECTS,
    candidate_body,
    confirm_email,
    project_body,
    served,
)
from tests.unit.workflows.dossier.dossiers import (
    StandIns,
    candidate_application_submitted,
    project_application_submitted,
)
from workflows.bridge import start_dossier_workflow
from workflows.dossier.models import SNAPSHOT, DossierSnapshot, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS

pytestmark = pytest.mark.integration

TASK_QUEUE = "intake-withdrawal-tests"


@pytest.fixture(scope="module")
async def dossier_worker(temporal_dev_server: WorkflowEnvironment) -> AsyncIterator[str]:
    """A worker running the real dossier workflows with stand-in activities; its task queue."""
    async with Worker(
        temporal_dev_server.client,
        task_queue=TASK_QUEUE,
        workflows=list(DOSSIER_WORKFLOWS.values()),
        activities=StandIns().activities(),
    ):
        yield TASK_QUEUE


@pytest.fixture
async def client(
    sqlite_url: str, temporal_dev_server: WorkflowEnvironment
) -> AsyncIterator[httpx.AsyncClient]:
    """Intake (no Kafka) talking to the dev server through its own Temporal connection."""
    settings = offline_settings(
        sqlite_url,
        TEMPORAL_ADDRESS=temporal_dev_server.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=temporal_dev_server.client.namespace,
    )
    intake = bootstrap(settings)
    async with intake.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    async with served(intake) as client:
        yield client


async def submit(client: httpx.AsyncClient, kind: DossierKind) -> tuple[UUID, str]:
    """Submit an application; its dossier id and withdrawal path."""
    path, body = (
        (CANDIDATES, candidate_body())
        if kind == DossierKind.CANDIDATE
        else (PROJECTS, project_body())
    )
    response = await client.post(path, json=body)
    assert response.status_code == 202
    dossier_id = UUID(response.json()["dossier_id"])
    assert (await confirm_email(client, LINK_KEYS, dossier_id)).status_code == 303
    # The e-mail's withdraw link (the status link's token cannot withdraw).
    link = urlsplit(withdraw_url("https://x", LINK_KEYS, dossier_id))
    return dossier_id, f"{link.path}/withdraw?{link.query}"


def application_event(
    kind: DossierKind, dossier_id: UUID
) -> CandidateApplicationSubmitted | ProjectApplicationSubmitted:
    if kind == DossierKind.CANDIDATE:
        return candidate_application_submitted(dossier_id)
    return project_application_submitted(dossier_id)


async def snapshot(client: Client, dossier_id: UUID) -> DossierSnapshot:
    handle: WorkflowHandle[None, None] = client.get_workflow_handle(dossier_workflow_id(dossier_id))
    result: DossierSnapshot = await handle.query(SNAPSHOT, result_type=DossierSnapshot)
    return result


class TestWithdrawalOnARealWorkflow:
    @pytest.mark.parametrize("kind", [DossierKind.CANDIDATE, DossierKind.PROJECT])
    async def test_the_applicant_withdraws_once_and_the_workflow_ends_withdrawn(
        self,
        client: httpx.AsyncClient,
        temporal_dev_server: WorkflowEnvironment,
        dossier_worker: str,
        kind: DossierKind,
    ) -> None:
        temporal = temporal_dev_server.client
        dossier_id, withdraw_path = await submit(client, kind)
        await start_dossier_workflow(temporal, dossier_worker, application_event(kind, dossier_id))

        first = await client.post(withdraw_path)

        assert first.status_code == 200
        assert first.json() == {
            "dossier_id": str(dossier_id),
            "status": "withdrawn",
            "allowed_actions": [],
        }
        dossier = await snapshot(temporal, dossier_id)
        assert dossier.status == DossierStatus.WITHDRAWN
        assert (dossier.timeline[-1].action, dossier.timeline[-1].actor) == (
            "withdraw",
            "applicant",
        )
        await temporal.get_workflow_handle(dossier_workflow_id(dossier_id)).result()

        second = await client.post(withdraw_path)

        assert second.status_code == 409
        assert "withdrawn" in second.json()["detail"]
        after = await snapshot(temporal, dossier_id)
        assert [entry.action for entry in after.timeline].count("withdraw") == 1

    async def test_a_withdrawal_before_the_workflow_starts_asks_to_retry(
        self, client: httpx.AsyncClient, dossier_worker: str
    ) -> None:
        _, withdraw_path = await submit(client, DossierKind.CANDIDATE)

        response = await client.post(withdraw_path)

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
