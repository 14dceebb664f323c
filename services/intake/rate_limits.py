"""Rate limits of the public intake: per client address and per e-mail address (issue 9).

Fixed windows counted in the database (``intake_rate_limits``), one row per bucket: every
intake replica on the same PostgreSQL shares the counts, and a restart forgets nothing
(docs/adr/0017). One statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) counts a hit
and reads the count, so concurrent requests cannot both take the last place.

Buckets are HMACs of the address (IPv6 grouped by /64, what one subscriber gets) or of the
normalised e-mail, keyed by a key derived from the link secret: the table holds no personal
data, and its rows are purged once their window is over.
"""

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import UtcDateTime, transaction
from services.intake.models import RateLimitBucket

IPV6_SUBSCRIBER_PREFIX = 64


class LimitedBy(StrEnum):
    """What a refused application exceeded."""

    CLIENT_ADDRESS = "client_address"
    EMAIL = "email"


@dataclass(frozen=True)
class Limit:
    max_hits: int
    window: timedelta


class RateLimited(Exception):
    """Too many applications from one address or for one e-mail address: retry later."""

    def __init__(self, limited_by: LimitedBy, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited by {limited_by}")
        self.limited_by = limited_by
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class RateLimiter:
    sessions: async_sessionmaker[AsyncSession]
    key: bytes
    """Keys the buckets' HMAC (derived from the link secret)."""
    per_address: Limit
    per_email: Limit

    async def check(self, client_address: str | None, email: str, now: datetime) -> None:
        """Count one application; raise :class:`RateLimited` if it goes over a limit.

        The address is counted first: a refused address does not use up the e-mail's count.
        """
        if client_address:
            await self._hit(
                LimitedBy.CLIENT_ADDRESS, address_group(client_address), self.per_address, now
            )
        await self._hit(LimitedBy.EMAIL, normalised_email(email), self.per_email, now)

    async def _hit(self, limited_by: LimitedBy, value: str, limit: Limit, now: datetime) -> None:
        bucket = hmac.new(self.key, f"{limited_by}|{value}".encode(), hashlib.sha256).hexdigest()
        async with transaction(self.sessions) as session:
            hits, started_at = await count_hit(session, bucket, limit.window, now)
        if hits > limit.max_hits:
            retry_after = (started_at + limit.window - now).total_seconds()
            raise RateLimited(limited_by, max(1, math.ceil(retry_after)))

    async def purge_expired(self, now: datetime) -> int:
        """Delete the buckets whose window is over (the longest window bounds them all)."""
        longest = max(self.per_address.window, self.per_email.window)
        async with transaction(self.sessions) as session:
            result = await session.exec(
                delete(RateLimitBucket).where(
                    RateLimitBucket.window_started_at <= now - longest  # type: ignore[arg-type]
                )
            )
        return int(result.rowcount or 0)


async def count_hit(
    session: AsyncSession, bucket: str, window: timedelta, now: datetime
) -> tuple[int, datetime]:
    """Add one hit to ``bucket`` (a new window if the last one is over): (hits, window start)."""
    table = RateLimitBucket.__table__  # type: ignore[attr-defined]
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = table.c.window_started_at <= now - window
    statement = (
        insert(table)
        .values(bucket=bucket, window_started_at=now, hits=1)
        .on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                "hits": case((expired, 1), else_=table.c.hits + 1),
                "window_started_at": case(
                    (expired, literal(now, UtcDateTime())), else_=table.c.window_started_at
                ),
            },
        )
        .returning(table.c.hits, table.c.window_started_at)
    )
    hits, started_at = (await session.exec(statement)).one()
    return int(hits), started_at


def address_group(client_address: str) -> str:
    """The address as limited: IPv4 as is, IPv6 by its /64 (one subscriber's network)."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return client_address
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(address)


def normalised_email(email: str) -> str:
    """One mailbox, however written: case and ``+tag`` sub-addresses do not make another."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
