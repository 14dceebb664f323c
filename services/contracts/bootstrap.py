"""Wires the contracts service's dependencies once, from settings; tests swap the workflow port."""

import asyncio
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.auth import TokenVerifier, token_verifier
from libs.database import create_engine, session_factory
from libs.dossier_links import LinkKeys
from libs.http_service import BrokeredParts
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.observability import ReadinessCheck
from libs.personal_data import purge_periodically
from libs.readiness import TemporalProbe
from libs.temporal import TemporalConnection
from services.contracts import (
    models,  # noqa: F401 - registers the tables on SQLModel.metadata
    service_layer,
)
from services.contracts.consumers import subscribe_read_model
from services.contracts.settings import ContractsSettings
from workflows.client_errors import QUERY_RPC_TIMEOUT
from workflows.contract.client import ContractWorkflows, TemporalContractWorkflows

KAFKA_CLIENT_ID = "contracts"


@dataclass
class Contracts(BrokeredParts):
    """Everything the service's entrypoints use; built by :func:`bootstrap`, run by the lifespan."""

    settings: ContractsSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker | None
    temporal: TemporalConnection
    contract_workflows: ContractWorkflows
    token_verifier: TokenVerifier
    """Checks staff's bearer tokens (``require_roles`` finds it on the app's state)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def link_keys(self) -> LinkKeys:
        """Keys of the applicants' private links (the contract's dossier is in the token)."""
        return self.settings.link_keys

    async def start(self) -> None:
        await self.start_parts(
            name=KAFKA_CLIENT_ID, create_tables=self.settings.CONTRACTS_CREATE_TABLES
        )
        if self.settings.RETENTION_PURGE_INTERVAL_SECONDS:
            purge = purge_periodically(
                "contracts",
                service_layer.purge_expired,
                self.sessions,
                self.settings.retention_policy,
                self.settings.RETENTION_PURGE_INTERVAL_SECONDS,
            )
            self.spawn(purge, "contracts-retention")

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        return self.parts_checks(
            TemporalProbe(client=self.temporal.client, rpc_timeout=QUERY_RPC_TIMEOUT)
        )


def bootstrap(
    settings: ContractsSettings, *, contract_workflows: ContractWorkflows | None = None
) -> Contracts:
    """Build the service from ``settings``; ``contract_workflows`` replaces the Temporal
    adapter. The Temporal client connects on first use (and again after a failure); staff
    tokens are checked as ``AUTH_MODE`` says."""
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    temporal = TemporalConnection.from_settings(settings)
    broker = None
    if settings.CONTRACTS_READ_MODEL_ENABLED:
        broker = create_broker(KafkaConnection.from_settings(settings), KAFKA_CLIENT_ID)
        subscribe_read_model(
            broker, sessions, group_id=settings.CONTRACTS_READ_MODEL_CONSUMER_GROUP
        )
    return Contracts(
        settings=settings,
        engine=engine,
        sessions=sessions,
        broker=broker,
        temporal=temporal,
        contract_workflows=contract_workflows or TemporalContractWorkflows(temporal),
        token_verifier=token_verifier(settings),
    )
