"""Proves that every accepted dossier has its Temporal workflow, and republishes when not.

The outbox guarantees the submission reaches Kafka; this closes the remaining gap (the bridge
lost the message, a topic was recreated, a workflow was never started): each dossier not yet
confirmed, once past a grace period, is looked up in Temporal. Found: confirmed for good.
Not found: its outbox row is marked unsent, so the relay republishes the *same* event (same
event_id) and the bridge's idempotent start creates the workflow.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError, RPCStatusCode

from libs.database import transaction
from libs.temporal import TemporalConnection
from services.intake import metrics
from services.intake.repository import (
    ApplicationRepository,
    OutboxRepository,
    ReconcilerStateRepository,
)
from workflows.dossier.models import dossier_workflow_id

logger = logging.getLogger(__name__)

TEMPORAL_RPC_TIMEOUT = timedelta(seconds=5)
RECONCILER_NAME = "intake"
"""Its row in ``reconciler_state`` (read by the operations report)."""


class WorkflowLookup(Protocol):
    async def exists(self, workflow_id: str) -> bool:
        """True if Temporal knows the workflow; raises when Temporal cannot be asked."""


class TemporalWorkflowLookup:
    def __init__(self, connection: TemporalConnection) -> None:
        self.connection = connection

    async def exists(self, workflow_id: str) -> bool:
        client = await self.connection.client()
        try:
            await client.get_workflow_handle(workflow_id).describe(rpc_timeout=TEMPORAL_RPC_TIMEOUT)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True


@dataclass(frozen=True)
class ReconcileReport:
    checked: int = 0
    """Dossiers looked up in Temporal this round."""
    confirmed: int = 0
    """Whose workflow exists: never looked up again."""
    republished: int = 0
    """Without a workflow: their submission was queued for publishing again."""
    awaiting_delivery: int = 0
    """Without a workflow, but their submission is still pending or was sent only just now."""
    temporal_unreachable: bool = False
    """The round stopped early because Temporal could not be asked."""


async def record_round(
    sessions: async_sessionmaker[AsyncSession], report: ReconcileReport, at: datetime
) -> None:
    """Keep what the round did, so ``make status`` can tell when it last ran."""
    async with transaction(sessions) as session:
        await ReconcilerStateRepository(session).record_round(
            RECONCILER_NAME,
            at,
            checked=report.checked,
            confirmed=report.confirmed,
            republished=report.republished,
            temporal_unreachable=report.temporal_unreachable,
        )


async def reconcile_once(
    sessions: async_sessionmaker[AsyncSession],
    workflows: WorkflowLookup,
    *,
    grace: timedelta,
    batch_size: int = 200,
    now: datetime | None = None,
    on_republished: Callable[[], None] = lambda: None,
) -> ReconcileReport:
    """Check unconfirmed dossiers older than ``grace``: oldest first, ``batch_size`` at most."""
    now = now or datetime.now(UTC)
    cutoff = now - grace
    async with transaction(sessions) as session:
        pending = await ApplicationRepository(session).awaiting_workflow(cutoff, batch_size)
    checked = confirmed = republished = awaiting = 0
    for application in pending:
        workflow_id = dossier_workflow_id(application.dossier_id)
        try:
            found = await workflows.exists(workflow_id)
        except Exception as error:  # noqa: BLE001 - Temporal down: nothing decided, next round
            logger.warning("reconciler: Temporal unreachable (%s), retrying next round", error)
            metrics.RECONCILER_TEMPORAL_UNREACHABLE.inc()
            return ReconcileReport(checked, confirmed, republished, awaiting, True)
        checked += 1
        async with transaction(sessions) as session:
            if found:
                await ApplicationRepository(session).confirm_workflow(application.dossier_id, now)
                confirmed += 1
                continue
            requeued = await OutboxRepository(session).requeue_submission(
                application.dossier_id, sent_before=cutoff
            )
        if requeued:
            republished += 1
            metrics.RECONCILER_REPUBLISHED.inc()
            logger.warning(
                "reconciler: dossier %s has no workflow, submission republished",
                application.dossier_id,
            )
        else:
            awaiting += 1
    metrics.RECONCILER_CONFIRMED.inc(confirmed)
    if republished:
        on_republished()
    return ReconcileReport(checked, confirmed, republished, awaiting, False)


class Reconciler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        workflows: WorkflowLookup,
        *,
        interval_seconds: float,
        grace_seconds: float,
        batch_size: int = 200,
        on_republished: Callable[[], None] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.workflows = workflows
        self.interval_seconds = interval_seconds
        self.grace = timedelta(seconds=grace_seconds)
        self.batch_size = batch_size
        self.on_republished = on_republished

    async def run(self) -> None:
        """Reconcile every ``interval_seconds`` until cancelled."""
        while True:
            try:
                report = await reconcile_once(
                    self.sessions,
                    self.workflows,
                    grace=self.grace,
                    batch_size=self.batch_size,
                    on_republished=self.on_republished,
                )
                await record_round(self.sessions, report, datetime.now(UTC))
            except Exception as error:  # noqa: BLE001 - database unreachable: next round
                logger.warning("reconciler round failed: %s", type(error).__name__)
            else:
                if report.checked:
                    logger.info("reconciler: %s", report)
            await asyncio.sleep(self.interval_seconds)
