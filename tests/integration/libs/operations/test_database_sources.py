"""The report's database sources (outbox, reconciler, e-mails, deadlines) on SQLite and
PostgreSQL, read from the tables the services write."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import libs.operations.models  # noqa: F401 - every table on SQLModel.metadata
import services.contracts.models
import services.notifications.models  # noqa: F401 - every table on SQLModel.metadata
from libs.database import create_engine, session_factory, transaction
from libs.operations.deadlines import collect_deadlines
from libs.operations.emails import collect_emails
from libs.operations.outbox import collect_outbox
from libs.operations.reconciler import collect_reconciler
from libs.outbox.models import OutboxMessage, OutboxOrigin
from services.contracts.models import ContractRecord
from services.intake.reconciler import ReconcileReport, record_round
from services.intake.repository import ApplicationRepository, OutboxRepository, is_submission
from services.intake.service_layer import confirm_application, submit_application
from services.notifications.models import NotificationFailure, SentNotification
from services.selection.models import StaffDossier
from tests.unit.services.intake.forms import candidate_form

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def submitted(sessions: async_sessionmaker[AsyncSession]) -> UUID:
    """A confirmed application: its confirmation request relayed (the applicant read it),
    its submission row in the outbox, a workflow expected."""
    dossier_id = (await submit_application(sessions, candidate_form())).dossier_id
    async with transaction(sessions) as session:
        outbox = OutboxRepository(session)
        received = await outbox.pending(10, skip_locked=False)
        requests = [row.id for row in received if row.id is not None and not is_submission(row)]
        await outbox.mark_sent(requests, NOW)
    await confirm_application(sessions, dossier_id)
    return dossier_id


class TestOutbox:
    async def test_pending_rows_their_oldest_and_the_latest_publish_error(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        assert (await collect_outbox(sessions)).pending == 0
        first, second, third = [await submitted(sessions) for _ in range(3)]
        async with transaction(sessions) as session:
            outbox = OutboxRepository(session)
            rows = [await outbox.submission_of(dossier) for dossier in (first, second, third)]
            assert all(row is not None and row.id is not None for row in rows)
            ids = [row.id for row in rows if row is not None and row.id is not None]
            await outbox.mark_sent([ids[0]], NOW)
            await outbox.record_failure(ids[1], "KafkaConnectionError: broker down")

        status = await collect_outbox(sessions)

        assert (status.pending, status.failing) == (2, 1)
        assert status.last_error == "KafkaConnectionError: broker down"
        failing_row = rows[1]
        assert failing_row is not None
        assert status.oldest_pending_at == failing_row.created_at

    async def test_pending_rows_are_counted_per_relaying_process(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """A process that is down holds its own rows back: the report says whose they are."""
        await submitted(sessions)
        async with transaction(sessions) as session:
            OutboxRepository(session).add(
                OutboxMessage(
                    event_id=uuid4(),
                    origin=OutboxOrigin.WORKFLOWS,
                    topic="eig.dossier-events.v1",
                    key=str(uuid4()),
                    payload="{}",
                    headers={},
                    created_at=NOW,
                )
            )

        status = await collect_outbox(sessions)

        assert status.pending == 2
        assert status.pending_by_origin == {OutboxOrigin.INTAKE: 1, OutboxOrigin.WORKFLOWS: 1}


class TestReconciler:
    async def test_no_round_yet_then_the_latest_round_and_the_republished_total(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        dossier = await submitted(sessions)
        empty = await collect_reconciler(sessions)
        assert empty.last_run_at is None and empty.unconfirmed == 1

        await record_round(sessions, ReconcileReport(checked=4, republished=2), NOW)
        later = NOW + timedelta(minutes=1)
        await record_round(
            sessions, ReconcileReport(checked=1, republished=1, temporal_unreachable=True), later
        )
        async with transaction(sessions) as session:
            await ApplicationRepository(session).confirm_workflows([dossier], later)
        await submitted(sessions)

        status = await collect_reconciler(sessions)

        assert status.last_run_at == later
        assert (status.last_checked, status.last_republished) == (1, 1)
        assert status.last_temporal_unreachable is True
        assert status.republished_total == 3
        assert status.unconfirmed == 1
        assert status.oldest_unconfirmed_at is not None
        assert status.oldest_unconfirmed_at > NOW - timedelta(minutes=1)


class TestEmails:
    async def test_sent_failed_undelivered_delays_and_smtp(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        dossier = uuid4()
        delivered_late, never_delivered = uuid4(), uuid4()

        def sent(template: str, ago: timedelta, delay: timedelta | None, key: UUID | None = None):
            at = NOW - ago
            return SentNotification(
                event_id=key or uuid4(),
                dossier_id=dossier,
                template=template,
                sent_at=at,
                event_occurred_at=None if delay is None else at - delay,
            )

        def failed(key: UUID, ago: timedelta) -> NotificationFailure:
            return NotificationFailure(
                notification_id=key,
                dossier_id=dossier,
                template="received/candidate",
                failed_at=NOW - ago,
                error="SMTP 127.0.0.1:1025: ConnectionRefusedError",
            )

        async with transaction(sessions) as session:
            for seconds in (1, 2, 3, 4, 5, 6, 7, 8, 9, 100):
                session.add(
                    sent("received/candidate", timedelta(minutes=5), timedelta(seconds=seconds))
                )
            session.add(sent("selected/candidate", timedelta(minutes=1), None))
            session.add(sent("received/candidate", timedelta(hours=2), timedelta(hours=1)))
            session.add(
                sent(
                    "received/candidate", timedelta(minutes=2), timedelta(seconds=5), delivered_late
                )
            )
            session.add(failed(delivered_late, timedelta(minutes=3)))
            session.add(failed(never_delivered, timedelta(minutes=20)))
            session.add(failed(never_delivered, timedelta(minutes=19)))
            session.add(failed(uuid4(), timedelta(days=2)))

        async def smtp_down() -> None:
            raise ConnectionRefusedError("connection refused")

        emails = await collect_emails(sessions, now=NOW, smtp_check=smtp_down)

        assert emails.sent == {"received/candidate": 11, "selected/candidate": 1}
        assert emails.failed == {"received/candidate": 3}
        assert emails.undelivered == 1
        assert emails.oldest_undelivered_at == NOW - timedelta(minutes=20)
        assert emails.delay_p50_seconds == 5
        assert emails.delay_p95_seconds == 100
        assert emails.smtp_reachable is False
        assert emails.smtp_error == "ConnectionRefusedError: connection refused"


class TestDeadlines:
    async def test_overdue_stages_lapsing_offers_and_open_offers_past_expiry(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        def dossier(status: str, overdue: bool, since: timedelta) -> StaffDossier:
            return StaffDossier(
                dossier_id=uuid4(),
                kind="candidate",
                title="Directrice technique",
                status=status,
                overdue=overdue,
                updated_at=NOW - since,
            )

        def offer(number: str, expires_in: timedelta, status: str = "offer_sent"):
            return ContractRecord(
                contract_id=uuid4(),
                dossier_id=uuid4(),
                contract_number=number,
                version=1,
                status=status,
                promotion_number=7,
                band="up_to_10_years",
                eig_name="Camille Martin",
                contact_email="camille@example.fr",
                start_on=date(2027, 1, 1),
                end_on=date(2027, 12, 31),
                terms={},
                offer_expires_at=NOW + expires_in,
                updated_at=NOW,
            )

        async with transaction(sessions) as session:
            session.add(dossier("in_review", True, timedelta(days=20)))
            session.add(dossier("in_review", True, timedelta(days=16)))
            session.add(dossier("interview", True, timedelta(days=15)))
            session.add(dossier("in_review", False, timedelta(days=30)))
            session.add(offer("EIG-7-0002", timedelta(hours=30)))
            session.add(offer("EIG-7-0001", timedelta(hours=5)))
            session.add(offer("EIG-7-0003", timedelta(days=5)))
            session.add(offer("EIG-7-0004", timedelta(hours=1), status="signed"))
            session.add(offer("EIG-7-0005", -timedelta(hours=1)))

        deadlines = await collect_deadlines(sessions, now=NOW, offer_horizon=timedelta(hours=48))

        assert [(s.status, s.count, s.oldest_since) for s in deadlines.overdue] == [
            ("in_review", 2, NOW - timedelta(days=20)),
            ("interview", 1, NOW - timedelta(days=15)),
        ]
        assert [o.contract_number for o in deadlines.lapsing_offers] == ["EIG-7-0001", "EIG-7-0002"]
        assert deadlines.lapsed_open == 1
        assert "Camille" not in deadlines.model_dump_json()
