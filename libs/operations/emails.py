"""E-mails: sent and failed per template, those still undelivered, the delay from each event
to SMTP's acceptance (p50/p95), and whether the SMTP server answers."""

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import distinct, func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.operations.report import Emails
from services.notifications.models import NotificationFailure, SentNotification

WINDOW = timedelta(hours=1)
UNDELIVERED_WINDOW = timedelta(days=1)
"""Failures older than this are left to the dead-letter topic they ended in."""


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` in 0..1); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


async def collect_emails(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    smtp_check: Callable[[], Awaitable[object]] | None = None,
) -> Emails:
    since = now - WINDOW
    async with sessions() as session:
        sent = await session.exec(
            select(SentNotification.template, func.count())
            .where(col(SentNotification.sent_at) >= since)
            .group_by(col(SentNotification.template))
        )
        failed = await session.exec(
            select(NotificationFailure.template, func.count())
            .where(col(NotificationFailure.failed_at) >= since)
            .group_by(col(NotificationFailure.template))
        )
        never_sent = (
            col(NotificationFailure.failed_at) >= now - UNDELIVERED_WINDOW,
            col(NotificationFailure.notification_id).not_in(select(SentNotification.event_id)),
        )
        undelivered, oldest = (
            await session.exec(
                select(
                    func.count(distinct(col(NotificationFailure.notification_id))),
                    func.min(NotificationFailure.failed_at),
                ).where(*never_sent)
            )
        ).one()
        timings = await session.exec(
            select(SentNotification.sent_at, SentNotification.event_occurred_at).where(
                col(SentNotification.sent_at) >= since,
                col(SentNotification.event_occurred_at).is_not(None),
            )
        )
        delays = [
            max(0.0, (sent_at - occurred).total_seconds())
            for sent_at, occurred in timings.all()
            if occurred is not None
        ]
    reachable, smtp_error = None, None
    if smtp_check is not None:
        try:
            await smtp_check()
            reachable = True
        except Exception as error:  # noqa: BLE001 - any failure means unreachable
            reachable, smtp_error = False, f"{type(error).__name__}: {error}"[:200]
    return Emails(
        window_seconds=WINDOW.total_seconds(),
        sent=dict(sent.all()),
        failed=dict(failed.all()),
        undelivered=int(undelivered),
        oldest_undelivered_at=oldest,
        delay_p50_seconds=percentile(delays, 0.5),
        delay_p95_seconds=percentile(delays, 0.95),
        smtp_reachable=reachable,
        smtp_error=smtp_error,
    )
