"""Wires selection's dependencies once, from settings; tests swap the workflow adapters."""

import asyncio
import logging
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, session_factory
from libs.http_service import BrokeredParts
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.observability import ReadinessCheck
from libs.operations.desk import LiveOperationsDesk, OperationsDesk
from libs.personal_data import purge_periodically
from libs.readiness import TemporalProbe
from libs.temporal import TemporalConnection
from services.selection import (
    models,  # noqa: F401 - registers the tables on SQLModel.metadata
    service_layer,
)
from services.selection.consumers import subscribe_read_model
from services.selection.service_layer import ReadModelRoundMembers, RoundMembers
from services.selection.settings import SelectionSettings
from workflows.client_errors import QUERY_RPC_TIMEOUT
from workflows.dossier.client import DossierWorkflows, TemporalDossierWorkflows
from workflows.promotion.client import PromotionDirectory, TemporalPromotionDirectory

logger = logging.getLogger(__name__)

KAFKA_CLIENT_ID = "selection"


@dataclass
class Selection(BrokeredParts):
    """Everything selection's entrypoints use; built by :func:`bootstrap`, run by the lifespan."""

    settings: SelectionSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker | None
    temporal: TemporalConnection
    dossier_workflows: DossierWorkflows
    promotions: PromotionDirectory
    round_members: RoundMembers
    operations: OperationsDesk
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        await self.start_parts(
            name=KAFKA_CLIENT_ID, create_tables=self.settings.SELECTION_CREATE_TABLES
        )
        if self.settings.RETENTION_PURGE_INTERVAL_SECONDS:
            purge = purge_periodically(
                "selection",
                service_layer.purge_expired,
                self.sessions,
                self.settings.retention_policy,
                self.settings.RETENTION_PURGE_INTERVAL_SECONDS,
            )
            self.spawn(purge, "selection-retention")

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        return self.parts_checks(
            TemporalProbe(client=self.temporal.client, rpc_timeout=QUERY_RPC_TIMEOUT)
        )


def bootstrap(
    settings: SelectionSettings,
    *,
    dossier_workflows: DossierWorkflows | None = None,
    promotions: PromotionDirectory | None = None,
    operations: OperationsDesk | None = None,
) -> Selection:
    """Build selection from ``settings``; ``dossier_workflows`` and ``promotions`` replace the
    Temporal adapters, ``operations`` the operations report's sources. The Temporal client
    connects on first use (and again after a failure)."""
    engine = create_engine(settings.DATABASE_URL)
    sessions = session_factory(engine)
    temporal = TemporalConnection.from_settings(settings)
    broker = None
    if settings.SELECTION_READ_MODEL_ENABLED:
        broker = create_broker(KafkaConnection.from_settings(settings), KAFKA_CLIENT_ID)
        subscribe_read_model(
            broker, sessions, group_id=settings.SELECTION_READ_MODEL_CONSUMER_GROUP
        )
    return Selection(
        settings=settings,
        engine=engine,
        sessions=sessions,
        broker=broker,
        temporal=temporal,
        dossier_workflows=dossier_workflows or TemporalDossierWorkflows(temporal),
        promotions=promotions or TemporalPromotionDirectory(temporal, settings.TEMPORAL_TASK_QUEUE),
        round_members=ReadModelRoundMembers(sessions),
        operations=operations or LiveOperationsDesk(settings, sessions),
    )
