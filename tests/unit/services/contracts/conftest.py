"""The contracts service on a real SQLite file, a fake contract workflow port, dev tokens."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import SQLModel

from libs.auth import write_dev_tokens
from libs.config import Environment
from libs.dossier_links import Purpose
from libs.messages.contract_events import ContractStatus
from services.contracts.app import create_app
from services.contracts.bootstrap import Contracts, bootstrap
from services.contracts.read_model import record_contract_event
from services.contracts.settings import ContractsSettings
from tests.unit.services.contracts.events import T0, ContractStory
from workflows.contract.models import (
    ContractActionRequest,
    ContractActionResult,
    ContractSnapshot,
    ContractTimelineEntry,
)


@dataclass
class FakeContractWorkflows:
    """The workflow port: answers ``result`` or raises ``error``; records each call."""

    result: ContractActionResult = field(
        default_factory=lambda: ContractActionResult(
            status=ContractStatus.OFFER_SENT, allowed_actions=["accept", "decline"]
        )
    )
    error: Exception | None = None
    snapshots: dict[uuid.UUID, ContractSnapshot] = field(default_factory=dict)
    snapshot_error: Exception | None = None
    calls: list[tuple[uuid.UUID, ContractActionRequest, str]] = field(default_factory=list)

    async def apply_action(
        self, contract_id: uuid.UUID, request: ContractActionRequest, *, update_id: str
    ) -> ContractActionResult:
        self.calls.append((contract_id, request, update_id))
        if self.error is not None:
            raise self.error
        return self.result

    async def snapshot(self, contract_id: uuid.UUID) -> ContractSnapshot | None:
        if self.snapshot_error is not None:
            raise self.snapshot_error
        return self.snapshots.get(contract_id)

    def knows(
        self, story: ContractStory, status: ContractStatus, allowed_actions: list[str]
    ) -> ContractSnapshot:
        """Make the workflow of ``story`` answer its snapshot in ``status``."""
        snapshot = ContractSnapshot(
            contract_id=story.contract_id,
            dossier_id=story.dossier_id,
            status=status,
            allowed_actions=allowed_actions,
            terms=story.terms,
            offer_expires_at=T0 + timedelta(days=10)
            if status == ContractStatus.OFFER_SENT
            else None,
            timeline=[ContractTimelineEntry(status=ContractStatus.DRAFTED, at=T0)],
        )
        self.snapshots[story.contract_id] = snapshot
        return snapshot


@pytest.fixture
def workflows() -> FakeContractWorkflows:
    return FakeContractWorkflows()


@pytest.fixture
async def contracts(
    sqlite_url: str, tmp_path: Path, workflows: FakeContractWorkflows
) -> AsyncIterator[Contracts]:
    settings = ContractsSettings(
        _env_file=None,
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL=sqlite_url,
        DATA_DIR=tmp_path,
        CONTRACTS_READ_MODEL_ENABLED=False,
    )
    service = bootstrap(settings, contract_workflows=workflows)
    async with service.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield service
    await service.engine.dispose()


@pytest.fixture
def tokens(contracts: Contracts) -> dict[str, str]:
    return write_dev_tokens(contracts.settings.dev_tokens_file)


@pytest.fixture
async def client(contracts: Contracts) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(contracts_service=contracts)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://contracts") as client:
        yield client


def bearer(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def link_token(
    contracts: Contracts, story: ContractStory, purpose: Purpose = Purpose.ANSWER_OFFER
) -> str:
    """The EIG's private-link token (of their dossier): the offer link's, unless told."""
    return contracts.link_keys.token(purpose, story.dossier_id)


async def seed(
    contracts: Contracts,
    status: ContractStatus = ContractStatus.OFFER_SENT,
    story: ContractStory | None = None,
) -> ContractStory:
    """A contract in the read model, drafted then moved to ``status``."""
    story = story or ContractStory()
    await record_contract_event(contracts.sessions, story.changed(ContractStatus.DRAFTED, at=T0))
    if status != ContractStatus.DRAFTED:
        await record_contract_event(
            contracts.sessions,
            story.changed(
                status,
                at=T0 + timedelta(hours=1),
                action="send_offer" if status == ContractStatus.OFFER_SENT else "",
                actor="dev-staff",
                offer_expires_at=T0 + timedelta(days=10),
            ),
        )
    return story
