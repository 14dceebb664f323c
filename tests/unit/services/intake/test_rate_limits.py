"""Applications are limited per client address and per e-mail address: a clear 429 with
Retry-After naming the reason, counts in the database (shared by replicas), no e-mail stored."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import SQLModel, select

from services.intake.app import create_app
from services.intake.bootstrap import Intake, bootstrap
from services.intake.models import RateLimitBucket
from services.intake.rate_limits import (
    LimitedBy,
    RateLimited,
    RateLimiter,
    address_group,
    normalised_email,
)
from tests.unit.services.intake.conftest import offline_settings
from tests.unit.services.intake.forms import CANDIDATES, PROJECTS, candidate_body, project_body
from tests.unit.services.intake.test_application_forms import CANDIDATE, PAGE, shown
from tests.unit.services.intake.test_validation import fields_of, stored_rows

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def limited(sqlite_url: str) -> AsyncIterator[Intake]:
    """Intake with small limits: 3 applications per address an hour, 2 per e-mail a day."""
    intake = bootstrap(
        offline_settings(
            sqlite_url,
            RATE_LIMIT_ENABLED=True,
            RATE_LIMIT_PER_ADDRESS=3,
            RATE_LIMIT_ADDRESS_WINDOW_SECONDS=3600,
            RATE_LIMIT_PER_EMAIL=2,
            RATE_LIMIT_EMAIL_WINDOW_SECONDS=86_400,
        )
    )
    async with intake.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield intake
    await intake.engine.dispose()


@pytest.fixture
async def client(limited: Intake) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from one public address (the default ASGI test client has none)."""
    app = create_app(intake=limited)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client,
    ):
        yield client


def limiter(intake: Intake) -> RateLimiter:
    assert intake.rate_limiter is not None
    return intake.rate_limiter


class TestPerEmail:
    async def test_past_the_limit_an_email_gets_a_429_with_retry_after(
        self, client: httpx.AsyncClient, limited: Intake
    ) -> None:
        answers = [
            await client.post(CANDIDATES, json=candidate_body(email=address))
            for address in ("camille@example.fr", "Camille+eig@Example.fr", "camille@example.fr")
        ]

        assert [answer.status_code for answer in answers] == [202, 202, 429]
        refused = answers[-1]
        assert fields_of(refused) == ["email"]
        assert refused.json()["errors"][0]["type"] == "rate_limited"
        assert "Too many applications for this e-mail address" in refused.json()["detail"]
        assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
        assert await stored_rows(limited) == (2, 2)

    async def test_a_projects_contact_address_is_named_as_its_field(
        self, client: httpx.AsyncClient
    ) -> None:
        for _ in range(2):
            assert (await client.post(PROJECTS, json=project_body())).status_code == 202

        refused = await client.post(PROJECTS, json=project_body())

        assert refused.status_code == 429
        assert fields_of(refused) == ["contact_email"]

    async def test_no_email_address_is_stored_in_the_counts(
        self, client: httpx.AsyncClient, limited: Intake
    ) -> None:
        await client.post(CANDIDATES, json=candidate_body(email="camille@example.fr"))

        async with limited.sessions() as session:
            buckets = (await session.exec(select(RateLimitBucket))).all()

        assert len(buckets) == 2  # the address's and the e-mail's
        assert all(
            "camille" not in bucket.bucket and "203.0" not in bucket.bucket for bucket in buckets
        )


class TestPerAddress:
    async def test_past_the_limit_an_address_gets_a_429_naming_it(
        self, client: httpx.AsyncClient, limited: Intake
    ) -> None:
        answers = [
            await client.post(CANDIDATES, json=candidate_body(email=f"c{n}@example.fr"))
            for n in range(4)
        ]

        assert [answer.status_code for answer in answers] == [202, 202, 202, 429]
        assert fields_of(answers[-1]) == ["client_address"]
        assert "Too many applications from this address" in answers[-1].json()["detail"]
        assert 3500 < int(answers[-1].headers["Retry-After"]) <= 3600
        assert await stored_rows(limited) == (3, 3)

    async def test_an_invalid_application_is_not_counted(self, client: httpx.AsyncClient) -> None:
        for _ in range(5):
            invalid = await client.post(CANDIDATES, json=candidate_body(first_name=""))
            assert invalid.status_code == 422

        accepted = await client.post(CANDIDATES, json=candidate_body())

        assert accepted.status_code == 202


class TestWindows:
    async def test_a_new_window_opens_once_the_last_one_is_over(self, limited: Intake) -> None:
        limits = limiter(limited)
        for _ in range(2):
            await limits.check("198.51.100.1", "eve@example.fr", NOW)
        with pytest.raises(RateLimited) as refused:
            await limits.check("198.51.100.1", "eve@example.fr", NOW + timedelta(hours=23))
        assert refused.value.limited_by == LimitedBy.EMAIL
        assert refused.value.retry_after_seconds == 3600

        await limits.check("198.51.100.1", "eve@example.fr", NOW + timedelta(days=1))

    async def test_a_refused_address_does_not_use_up_the_emails_count(
        self, limited: Intake
    ) -> None:
        limits = limiter(limited)
        for n in range(3):
            await limits.check("198.51.100.2", f"other{n}@example.fr", NOW)
        for _ in range(3):
            with pytest.raises(RateLimited):
                await limits.check("198.51.100.2", "eve@example.fr", NOW)

        await limits.check("198.51.100.3", "eve@example.fr", NOW)

    async def test_finished_windows_are_purged(self, limited: Intake) -> None:
        limits = limiter(limited)
        await limits.check("198.51.100.4", "eve@example.fr", NOW)
        await limits.check("198.51.100.5", "eve@example.fr", NOW + timedelta(days=1))

        purged = await limits.purge_expired(NOW + timedelta(days=1, seconds=1))

        # The first address's window is over; the e-mail's restarted with the second address's.
        assert purged == 1
        async with limited.sessions() as session:
            assert len((await session.exec(select(RateLimitBucket))).all()) == 2


class TestAddresses:
    def test_ipv6_addresses_are_limited_by_their_64(self) -> None:
        assert address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:bbbb::9")
        assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")

    def test_ipv4_addresses_count_alone_however_written(self) -> None:
        assert address_group("::ffff:192.0.2.1") == "192.0.2.1"
        assert address_group("192.0.2.1") != address_group("192.0.2.2")

    def test_an_email_is_one_mailbox_whatever_its_case_and_tag(self) -> None:
        assert normalised_email(" Camille.Martin+EIG@Example.FR ") == "camille.martin@example.fr"


class TestForms:
    async def test_the_form_is_limited_like_the_api(
        self, client: httpx.AsyncClient, limited: Intake
    ) -> None:
        # Each accepted application sends an e-mail to the address typed in: without the
        # limits, the form would let anybody flood a mailbox with confirmation requests.
        answers = []
        for _ in range(3):
            _, fields = await shown(client, "/candidater")
            answers.append(
                await client.post("/candidater", data={**CANDIDATE, **fields}, headers=PAGE)
            )

        assert [answer.status_code for answer in answers] == [303, 303, 429]
        refused = answers[-1]
        assert "text/html" in refused.headers["content-type"]
        assert int(refused.headers["Retry-After"]) > 0
        assert await stored_rows(limited) == (2, 2)
