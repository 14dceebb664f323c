"""The rate-limit counts on SQLite and PostgreSQL: one statement counts and reads, so replicas
sharing PostgreSQL never let more through than the limit, even when requests race."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from libs.database import create_engine, session_factory
from services.intake.rate_limits import Limit, RateLimited, RateLimiter
from tests.integration.services.intake.conftest import create_tables

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def limiter_on(database_url: str, max_hits: int) -> AsyncGenerator[RateLimiter, None]:
    await create_tables(database_url)
    engine = create_engine(database_url)
    try:
        yield RateLimiter(
            session_factory(engine),
            key=b"k" * 32,
            per_address=Limit(max_hits, timedelta(hours=1)),
            per_email=Limit(max_hits, timedelta(days=1)),
        )
    finally:
        await engine.dispose()


@pytest.fixture
async def limiter(database_url: str) -> AsyncIterator[RateLimiter]:
    async for limiter in limiter_on(database_url, max_hits=3):
        yield limiter


@pytest.fixture
async def replicas(postgres_url: str) -> AsyncIterator[list[RateLimiter]]:
    """Three intake replicas' limiters on one PostgreSQL database (an engine each)."""
    limiters: list[RateLimiter] = []
    generators = [limiter_on(postgres_url, max_hits=10) for _ in range(3)]
    for generator in generators:
        limiters.append(await anext(generator))
    yield limiters
    for generator in generators:
        await generator.aclose()


class TestCounts:
    async def test_the_limit_holds_and_a_new_window_opens(self, limiter: RateLimiter) -> None:
        for _ in range(3):
            await limiter.check("192.0.2.1", "eve@example.fr", NOW)
        with pytest.raises(RateLimited):
            await limiter.check("192.0.2.1", "eve@example.fr", NOW + timedelta(minutes=59))

        await limiter.check("192.0.2.1", "other@example.fr", NOW + timedelta(hours=1))


class TestReplicasOnPostgresql:
    async def test_racing_requests_on_several_replicas_get_exactly_the_limit(
        self, replicas: list[RateLimiter]
    ) -> None:
        async def attempt(n: int) -> bool:
            try:
                await replicas[n % 3].check(f"192.0.2.{n}", "eve@example.fr", NOW)
            except RateLimited:
                return False
            return True

        outcomes = await asyncio.gather(*(attempt(n) for n in range(30)))

        assert outcomes.count(True) == 10
