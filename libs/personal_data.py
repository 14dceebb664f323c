"""Data protection (RGPD): the retention policy, what of an application is personal, and the
purge's batches and counts (docs/DATA-PROTECTION.md).

Each service purges and erases its own tables through its service layer; this module only
holds what they share, so that the policy and the meaning of "anonymised" are written once.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction

logger = logging.getLogger(__name__)

ROWS_PURGED = Counter(
    "eig_retention_rows_purged_total",
    "Rows the retention purge or an erasure deleted or anonymised, by table and action",
    ["table", "action"],
)

DELETED = "deleted"
ANONYMISED = "anonymised"

ERASED = "[effacé · erased]"
"""What replaces a name, an address or a free text once erased: a reader sees that something
was there and why it is gone (French first, as every label)."""


class RetentionPolicy(BaseModel):
    """How long each kind of record is kept (read from the ``RETENTION_*`` settings)."""

    model_config = ConfigDict(frozen=True)

    idempotency_days: int = Field(default=7, ge=1)
    """Idempotency records: a client retries within minutes, a week is ample."""
    sent_outbox_days: int = Field(default=7, ge=1)
    """Outbox rows once sent (never unsent ones); longer than the republish window (15 min)."""
    sent_notification_days: int = Field(default=90, ge=1)
    """E-mail dedupe records and failures: must outlast every way an event can come again
    (broker retention, 7 days by default, and a dead letter replayed by an operator)."""
    final_dossier_days: int = Field(default=730, ge=1)
    """Final dossiers (withdrawn, ineligible, rejected, not selected) and ended contracts:
    their personal data is anonymised this long after their last status change."""
    batch_size: int = Field(default=500, ge=1, le=10_000)
    """Rows per transaction: a purge never holds a long lock."""

    @staticmethod
    def cutoff(now: datetime, days: int) -> datetime:
        return now - timedelta(days=days)


@dataclass
class PurgeReport:
    """Rows purged per ``(table, action)``: counts only, never what the rows held."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, table: str, action: str, count: int) -> None:
        if count:
            self.counts[table, action] = self.counts.get((table, action), 0) + count
            ROWS_PURGED.labels(table=table, action=action).inc(count)

    def merge(self, other: "PurgeReport") -> None:
        for (table, action), count in other.counts.items():
            self.counts[table, action] = self.counts.get((table, action), 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {
            f"{table}.{action}": count for (table, action), count in sorted(self.counts.items())
        }


Batch = Callable[[AsyncSession, int], Awaitable[int]]
"""One batch of a purge in the caller's transaction: handles at most ``limit`` rows, returns
how many it handled."""


async def in_batches(sessions: async_sessionmaker[AsyncSession], batch: Batch, size: int) -> int:
    """Run ``batch`` in its own transaction until one handles fewer than ``size`` rows."""
    total = 0
    while True:
        async with transaction(sessions) as session:
            handled = await batch(session, size)
        total += handled
        if handled < size:
            return total


Eraser = Callable[[AsyncSession, list[UUID], datetime], Awaitable["PurgeReport"]]
"""A service's ``erase_in``: blank what it holds about these dossiers, in the caller's
transaction."""


async def erase_final_records(
    sessions: async_sessionmaker[AsyncSession],
    policy: "RetentionPolicy",
    now: datetime,
    *,
    record: Any,
    final_statuses: Iterable[str],
    erase_in: Eraser,
) -> "PurgeReport":
    """Erase, batch by batch, the dossiers whose ``record`` (a table with ``dossier_id``,
    ``status``, ``updated_at`` and ``personal_data_erased_at``) has been final for longer than
    ``final_dossier_days``, oldest first; each batch in its own transaction."""
    report = PurgeReport()
    cutoff = policy.cutoff(now, policy.final_dossier_days)
    statuses = list(final_statuses)

    async def erase_final(session: AsyncSession, limit: int) -> int:
        expired = await session.exec(
            select(record.dossier_id)
            .where(col(record.status).in_(statuses))
            .where(col(record.updated_at) < cutoff)
            .where(col(record.personal_data_erased_at).is_(None))
            .order_by(col(record.updated_at))
            .limit(limit)
        )
        dossier_ids = list(expired.all())
        report.merge(await erase_in(session, dossier_ids, now))
        return len(dossier_ids)

    await in_batches(sessions, erase_final, policy.batch_size)
    return report


# What of each application form is not personal and stays once a dossier is anonymised: the
# facts the public results count (roles, experience, administrations and their projects).
# Names, e-mail addresses and free texts become ERASED, links go.
KEPT_FIELDS: Mapping[str, frozenset[str]] = {
    "candidate": frozenset({"role", "years_of_experience", "preferred_language"}),
    "project": frozenset(
        {
            "administration_name",
            "administration_kind",
            "project_title",
            "public_policy",
            "beta_gouv_phase",
            "beta_gouv_product_url",
            "profiles_wanted",
            "preferred_language",
        }
    ),
}


def anonymised_application(kind: str, application: Mapping[str, Any]) -> dict[str, Any]:
    """The application with its personal data replaced (an unknown kind keeps nothing): the
    same fields, so that every page still reads it, each text ERASED, each list empty."""
    kept = KEPT_FIELDS.get(kind, frozenset())
    return {name: value if name in kept else _erased(value) for name, value in application.items()}


def erased_text(text: str) -> str:
    """A free text once erased: ERASED, or still empty (nothing was said)."""
    return ERASED if text else ""


def _erased(value: Any) -> Any:
    if isinstance(value, str):
        return erased_text(value)
    if isinstance(value, list):
        return []
    return None


ServicePurge = Callable[
    [async_sessionmaker[AsyncSession], RetentionPolicy, datetime], Awaitable[PurgeReport]
]
"""A service's purge (its ``service_layer.purge_expired``): what the policy says has expired
at ``now`` in that service's tables."""


async def run_purge(
    name: str,
    purge: ServicePurge,
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    now: datetime,
) -> PurgeReport:
    """Run one service's purge and log its counts (table names and counts only)."""
    report = await purge(sessions, policy, now)
    logger.info("retention purge of %s: %d rows %s", name, report.total, report.as_dict())
    return report


async def purge_periodically(
    name: str,
    purge: ServicePurge,
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    interval_seconds: float,
) -> None:
    """A service's background task: purge now, then every ``interval_seconds``; a failed round
    is logged (its error type only) and the next one tries again."""
    while True:
        try:
            await run_purge(name, purge, sessions, policy, datetime.now(UTC))
        except Exception as error:  # noqa: BLE001 - the next round retries
            logger.warning("retention purge of %s failed: %s", name, type(error).__name__)
        await asyncio.sleep(interval_seconds)
