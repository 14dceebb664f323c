"""Selection against a real SQLite file, a fake dossier workflow port and dev tokens."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierDeadlinePassed, DossierStatus, DossierStatusChanged
from services.selection.app import create_app
from services.selection.bootstrap import Selection, bootstrap
from services.selection.read_model import record_application, record_status_change
from services.selection.settings import SelectionSettings
from tests.unit.workflows.dossier.dossiers import (
    candidate_application_submitted,
    project_application_submitted,
)
from workflows.dossier.models import ActionRequest, ActionResult, DossierSnapshot

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class FakeDossierWorkflows:
    """The workflow port: answers ``result`` or raises ``error``; records each call."""

    result: ActionResult = field(
        default_factory=lambda: ActionResult(
            status=DossierStatus.INTERVIEW, allowed_actions=["record_interview", "withdraw"]
        )
    )
    error: Exception | None = None
    snapshots: dict[uuid.UUID, DossierSnapshot] = field(default_factory=dict)
    snapshot_error: Exception | None = None
    calls: list[tuple[uuid.UUID, ActionRequest, str]] = field(default_factory=list)

    async def apply_action(
        self, dossier_id: uuid.UUID, request: ActionRequest, *, update_id: str
    ) -> ActionResult:
        self.calls.append((dossier_id, request, update_id))
        if self.error is not None:
            raise self.error
        return self.result

    async def snapshot(self, dossier_id: uuid.UUID) -> DossierSnapshot | None:
        if self.snapshot_error is not None:
            raise self.snapshot_error
        return self.snapshots.get(dossier_id)


@pytest.fixture
def workflows() -> FakeDossierWorkflows:
    return FakeDossierWorkflows()


@pytest.fixture
async def selection(
    sqlite_url: str, tmp_path: Path, workflows: FakeDossierWorkflows
) -> AsyncIterator[Selection]:
    settings = SelectionSettings(
        _env_file=None,
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL=sqlite_url,
        DATA_DIR=tmp_path,
        SELECTION_READ_MODEL_ENABLED=False,
    )
    selection = bootstrap(settings, dossier_workflows=workflows)
    async with selection.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield selection
    await selection.engine.dispose()


@pytest.fixture
def tokens(selection: Selection) -> dict[str, str]:
    return write_dev_tokens(selection.settings.dev_tokens_file)


@pytest.fixture
async def client(selection: Selection) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(selection=selection)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://selection") as client:
        yield client


def bearer(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def status_changed(
    dossier_id: uuid.UUID,
    status: DossierStatus,
    *,
    at: datetime,
    kind: DossierKind = DossierKind.CANDIDATE,
    **fields: Any,
) -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=dossier_id,
        kind=kind,
        status=status,
        title="technical_director",
        contact=Contact(name="Camille Martin", email="camille@example.org"),
        occurred_at=at,
        **fields,
    )


def deadline_passed(
    dossier_id: uuid.UUID, status: DossierStatus, *, at: datetime
) -> DossierDeadlinePassed:
    return DossierDeadlinePassed(
        dossier_id=dossier_id,
        kind=DossierKind.CANDIDATE,
        status=status,
        title="technical_director",
        deadline_at=at - timedelta(minutes=1),
        occurred_at=at,
    )


async def seed_candidate(selection: Selection, status: DossierStatus | None = None) -> uuid.UUID:
    event = candidate_application_submitted()
    event = event.model_copy(update={"occurred_at": T0})
    await record_application(selection.sessions, event)
    if status is not None:
        await record_status_change(
            selection.sessions, status_changed(event.dossier_id, status, at=T0 + timedelta(hours=1))
        )
    return event.dossier_id


async def seed_project(selection: Selection, round_id: str | None = None) -> uuid.UUID:
    event = project_application_submitted().model_copy(update={"occurred_at": T0})
    await record_application(selection.sessions, event)
    if round_id is not None:
        await record_status_change(
            selection.sessions,
            status_changed(
                event.dossier_id,
                DossierStatus.SCHEDULED,
                at=T0 + timedelta(hours=2),
                kind=DossierKind.PROJECT,
                details={"round_id": round_id},
            ),
        )
    return event.dossier_id
