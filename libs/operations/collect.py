"""The whole report: every source read at once, each within its own time limit, so one
unreachable engine shows as unreadable instead of hiding the others."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, session_factory
from libs.operations.dead_letters import DeadLetterBox
from libs.operations.deadlines import collect_deadlines
from libs.operations.emails import collect_emails
from libs.operations.kafka_lag import collect_consumer_lag
from libs.operations.outbox import collect_outbox
from libs.operations.readiness import collect_readiness
from libs.operations.reconciler import collect_reconciler
from libs.operations.report import (
    ConsumerLag,
    DeadLetters,
    Deadlines,
    Emails,
    OutboxStatus,
    Readiness,
    ReconcilerStatus,
    Section,
    StatusReport,
    Thresholds,
    Workflows,
)
from libs.operations.sources import Sources
from libs.operations.workflows import collect_workflows
from libs.readiness import SmtpProbe
from libs.temporal import connect

logger = logging.getLogger(__name__)

S = TypeVar("S", bound=Section)


async def _guarded(kind: type[S], work: Callable[[], Awaitable[S]], timeout: float) -> S:
    try:
        return await asyncio.wait_for(work(), timeout)
    except Exception as error:  # noqa: BLE001 - an unreadable source is part of the report
        reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
        detail = str(error).splitlines()[0][:200] if str(error) else ""
        if detail.startswith(reason):
            detail = detail[len(reason) :].lstrip(": ")  # aiokafka's messages name their type
        return kind(error=f"{reason}: {detail}" if detail else reason)


@asynccontextmanager
async def database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def collect_report(
    sources: Sources,
    limits: Thresholds | None = None,
    *,
    now: datetime | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> StatusReport:
    """Every source at once; ``sessions`` reuses a service's own pool (the staff API's),
    otherwise a short-lived engine on ``sources.database_url`` is opened (the CLI)."""
    limits = limits or Thresholds()
    now = now or datetime.now(UTC)
    if sessions is None:
        async with database(sources.database_url) as own:
            return await _collect(sources, limits, now, own)
    return await _collect(sources, limits, now, sessions)


async def _collect(
    sources: Sources,
    limits: Thresholds,
    now: datetime,
    sessions: async_sessionmaker[AsyncSession],
) -> StatusReport:
    timeout = sources.timeout_seconds

    async def workflows() -> Workflows:
        client = await connect(
            sources.temporal_address, sources.temporal_namespace, sources.temporal_security
        )
        return await collect_workflows(
            client,
            ui_url=sources.temporal_ui_url,
            task_queue=sources.temporal_task_queue,
            max_described=sources.max_described_workflows,
        )

    box = DeadLetterBox(sources.kafka, sessions)
    smtp = SmtpProbe(sources.smtp_host, sources.smtp_port)
    horizon = timedelta(hours=limits.offer_lapse_hours)
    (
        outbox,
        lag,
        dead_letters,
        flows,
        deadlines,
        emails,
        reconciler,
        readiness,
    ) = await asyncio.gather(
        _guarded(OutboxStatus, lambda: collect_outbox(sessions), timeout),
        _guarded(
            ConsumerLag,
            lambda: collect_consumer_lag(sources.kafka),
            timeout,
        ),
        _guarded(DeadLetters, box.inspect, timeout),
        _guarded(Workflows, workflows, timeout),
        _guarded(
            Deadlines,
            lambda: collect_deadlines(sessions, now=now, offer_horizon=horizon),
            timeout,
        ),
        _guarded(Emails, lambda: collect_emails(sessions, now=now, smtp_check=smtp), timeout),
        _guarded(ReconcilerStatus, lambda: collect_reconciler(sessions), timeout),
        _guarded(Readiness, lambda: collect_readiness(sources.service_urls), timeout),
    )
    return StatusReport(
        generated_at=now,
        thresholds=limits,
        outbox=outbox.assessed(limits, now),
        consumer_lag=lag.assessed(limits, now),
        dead_letters=dead_letters.assessed(limits, now),
        workflows=flows.assessed(limits, now),
        deadlines=deadlines.assessed(limits, now),
        emails=emails.assessed(limits, now),
        reconciler=reconciler.assessed(limits, now),
        readiness=readiness.assessed(limits, now),
    )
