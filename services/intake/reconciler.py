"""Proves that every accepted dossier has its Temporal workflow, and republishes when not.

The outbox guarantees the submission reaches Kafka; this closes the remaining gap (the bridge
lost the message, a topic was recreated, a workflow was never started): each dossier not yet
confirmed, once past a grace period, is looked up in Temporal. Found: confirmed for good.
Not found: its outbox row is marked unsent, so the relay republishes the *same* event (same
event_id) and the bridge's idempotent start creates the workflow. After ``max_republishes``
republishes still without a workflow, the dossier is given up on: no longer looked up nor
republished, counted (``intake_reconciler_given_up_total``) and listed by ``make status`` for
an operator (the bridge refuses it, or it is dead-lettered: republishing cannot help).
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

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


VISIBILITY_CHUNK = 100
"""Workflow ids per visibility query (``WorkflowId IN (…)``): one call for a hundred dossiers."""


class WorkflowLookup(Protocol):
    async def existing(self, workflow_ids: Sequence[str]) -> set[str]:
        """Those of ``workflow_ids`` Temporal knows; raises when Temporal cannot be asked."""


class TemporalWorkflowLookup:
    """Batched visibility queries: after a broker loss thousands of dossiers are checked in a
    few calls instead of one describe each (issue 13, target 6).

    Visibility lags a workflow's start by a moment: a workflow started just now may be missed,
    and its submission republished; the bridge's idempotent start makes that harmless, and the
    grace period makes it rare."""

    def __init__(self, connection: TemporalConnection) -> None:
        self.connection = connection

    async def existing(self, workflow_ids: Sequence[str]) -> set[str]:
        client = await self.connection.client()
        found: set[str] = set()
        for start in range(0, len(workflow_ids), VISIBILITY_CHUNK):
            chunk = workflow_ids[start : start + VISIBILITY_CHUNK]
            # Dossier workflow ids are "dossier-<uuid>": nothing to escape in them.
            query = "WorkflowId IN ({})".format(", ".join(f"'{id_}'" for id_ in chunk))
            async for execution in client.list_workflows(query, rpc_timeout=TEMPORAL_RPC_TIMEOUT):
                found.add(execution.id)
        return found


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
    given_up: int = 0
    """Republished ``max_republishes`` times and still without a workflow: left to operators."""
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
    batch_size: int = 1000,
    max_republishes: int = 5,
    now: datetime | None = None,
    on_republished: Callable[[], None] = lambda: None,
) -> ReconcileReport:
    """Check unconfirmed dossiers older than ``grace``: oldest first, ``batch_size`` at most."""
    now = now or datetime.now(UTC)
    cutoff = now - grace
    async with transaction(sessions) as session:
        pending = await ApplicationRepository(session).awaiting_workflow(cutoff, batch_size)
    if not pending:
        return ReconcileReport()
    dossier_ids = [application.dossier_id for application in pending]
    exhausted = {a.dossier_id for a in pending if a.republish_count >= max_republishes}
    try:
        found = await workflows.existing([dossier_workflow_id(id_) for id_ in dossier_ids])
    except Exception as error:  # noqa: BLE001 - Temporal down: nothing decided, next round
        logger.warning("reconciler: Temporal unreachable (%s), retrying next round", error)
        metrics.RECONCILER_TEMPORAL_UNREACHABLE.inc()
        return ReconcileReport(temporal_unreachable=True)
    with_workflow = [id_ for id_ in dossier_ids if dossier_workflow_id(id_) in found]
    without = [id_ for id_ in dossier_ids if dossier_workflow_id(id_) not in found]
    retried = [id_ for id_ in without if id_ not in exhausted]
    # One transaction for the whole batch: on SQLite each write takes the database's lock.
    async with transaction(sessions) as session:
        applications, outbox = ApplicationRepository(session), OutboxRepository(session)
        await applications.confirm_workflows(with_workflow, now)
        requeued = await outbox.requeue_submissions(retried, sent_before=cutoff)
        await applications.count_republished(requeued)
        # Given up once the last republish had its grace period too.
        given_up = await outbox.sent_submissions(
            [id_ for id_ in without if id_ in exhausted], sent_before=cutoff
        )
        await applications.give_up_reconciling(given_up, now)
    for dossier_id in requeued:
        logger.warning("reconciler: dossier %s has no workflow, submission republished", dossier_id)
    for dossier_id in given_up:
        logger.error(
            "reconciler: dossier %s still has no workflow after %s republishes, given up",
            dossier_id,
            max_republishes,
        )
    metrics.RECONCILER_REPUBLISHED.inc(len(requeued))
    metrics.RECONCILER_GIVEN_UP.inc(len(given_up))
    metrics.RECONCILER_CONFIRMED.inc(len(with_workflow))
    if requeued:
        on_republished()
    return ReconcileReport(
        checked=len(dossier_ids),
        confirmed=len(with_workflow),
        republished=len(requeued),
        awaiting_delivery=len(without) - len(requeued) - len(given_up),
        given_up=len(given_up),
    )


class Reconciler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        workflows: WorkflowLookup,
        *,
        interval_seconds: float,
        grace_seconds: float,
        batch_size: int = 1000,
        max_republishes: int = 5,
        on_republished: Callable[[], None] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.max_republishes = max_republishes
        self.workflows = workflows
        self.interval_seconds = interval_seconds
        self.grace = timedelta(seconds=grace_seconds)
        self.batch_size = batch_size
        self.on_republished = on_republished

    async def run(self) -> None:
        """Reconcile every ``interval_seconds`` until cancelled; at once again after a full
        batch, so that a backlog (a broker loss, a burst) is worked off in one go."""
        while True:
            full = False
            try:
                report = await reconcile_once(
                    self.sessions,
                    self.workflows,
                    grace=self.grace,
                    batch_size=self.batch_size,
                    max_republishes=self.max_republishes,
                    on_republished=self.on_republished,
                )
                await record_round(self.sessions, report, datetime.now(UTC))
            except Exception as error:  # noqa: BLE001 - database unreachable: next round
                logger.warning("reconciler round failed: %s", type(error).__name__)
            else:
                if report.checked:
                    logger.info("reconciler: %s", report)
                full = report.checked >= self.batch_size and not report.temporal_unreachable
            await asyncio.sleep(0 if full else self.interval_seconds)
