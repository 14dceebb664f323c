"""The retention purge (``python -m deploy.retention``) on SQLite and PostgreSQL: exactly the
rows the policy says have expired go or lose their personal data, nothing else, and a second
run changes nothing."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import libs.operations.models  # noqa: F401 - every table on SQLModel.metadata
from deploy.retention import __main__ as retention
from deploy.retention.__main__ import purge_all
from libs.database import create_engine, session_factory, transaction
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.personal_data import ERASED, ROWS_PURGED, PurgeReport, RetentionPolicy
from services.contracts.models import ContractRecord, ContractTimelineRecord
from services.intake import service_layer as intake
from services.intake.models import (
    Application,
    DossierStatusView,
    DossierTimelineEntry,
    IdempotencyRecord,
)
from services.intake.read_model import record_results_dossier_event
from services.notifications.models import NotificationFailure, SentNotification
from services.selection.models import (
    ConflictDeclaration,
    Evaluation,
    InternalComment,
    StaffDossier,
    StaffTimelineEntry,
)
from tests.unit.services.intake.forms import candidate_body

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
# Batches of two: every table below has more than two rows to purge.
POLICY = RetentionPolicy(batch_size=2)
EMAIL = "camille.martin@example.fr"


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


def candidate_payload() -> dict[str, Any]:
    body = candidate_body(email=EMAIL, motivation="Ma motivation personnelle")
    del body["consent"]
    return body


class Seeded:
    """One row per case, named by what the policy must do with it."""

    def __init__(self) -> None:
        self.final_old = uuid4()
        self.final_recent = uuid4()
        self.open_old = uuid4()
        self.unconfirmed_old = uuid4()
        self.results_events: list[DossierStatusChanged] = []

    async def write(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with transaction(sessions) as session:
            self._idempotency(session)
            self._outbox(session)
            self._notifications(session)
            for dossier_id, status, last_event in (
                (self.final_old, "withdrawn", days_ago(731)),
                (self.final_recent, "rejected", days_ago(729)),
                (self.open_old, "in_review", days_ago(900)),
            ):
                self._dossier(session, dossier_id, status, last_event)
                self.results_events += [
                    results_event(dossier_id, DossierStatus.RECEIVED, last_event - timedelta(30)),
                    results_event(dossier_id, DossierStatus(status), last_event),
                ]
            session.add(
                Application(
                    dossier_id=self.unconfirmed_old,
                    kind="candidate",
                    payload=candidate_payload(),
                    title="technical_director",
                    created_at=days_ago(10),
                )
            )

    def _idempotency(self, session: AsyncSession) -> None:
        for key, age in (("old-1", 8), ("old-2", 7.5), ("old-3", 30), ("recent", 6)):
            session.add(
                IdempotencyRecord(
                    key=key,
                    request_sha256="0" * 64,
                    status_code=202,
                    response={},
                    dossier_id=uuid4(),
                    created_at=days_ago(age),
                )
            )

    def _outbox(self, session: AsyncSession) -> None:
        def row(origin: str, key: UUID, sent_days_ago: float | None) -> OutboxMessage:
            return OutboxMessage(
                event_id=uuid4(),
                origin=origin,
                topic="eig.applications.v1",
                key=str(key),
                payload=f'{{"email": "{EMAIL}"}}',
                headers={},
                created_at=days_ago(40),
                sent_at=None if sent_days_ago is None else days_ago(sent_days_ago),
            )

        intake, workflows = OutboxOrigin.INTAKE, OutboxOrigin.WORKFLOWS
        for origin, key, sent in (
            (intake, self.final_old, 8),  # expired
            (intake, self.open_old, 9),  # expired
            (intake, self.final_recent, 30),  # expired
            (intake, self.unconfirmed_old, 8),  # kept: the reconciler may republish it
            (intake, self.open_old, 6),  # kept: sent recently
            (intake, self.open_old, None),  # kept: never sent
            (workflows, self.final_old, 8),  # expired
            (workflows, self.open_old, 20),  # expired
            (workflows, self.final_recent, 12),  # expired
            (workflows, self.open_old, None),  # kept: never sent
        ):
            session.add(row(origin, key, sent))

    def _notifications(self, session: AsyncSession) -> None:
        for age in (91, 95, 200, 89):
            session.add(
                SentNotification(
                    event_id=uuid4(), dossier_id=uuid4(), template="received", sent_at=days_ago(age)
                )
            )
            session.add(
                NotificationFailure(
                    notification_id=uuid4(),
                    dossier_id=uuid4(),
                    template="received",
                    failed_at=days_ago(age),
                    error="550 refused",
                )
            )

    def _dossier(
        self, session: AsyncSession, dossier_id: UUID, status: str, last_event: datetime
    ) -> None:
        payload = candidate_payload()
        session.add(
            Application(
                dossier_id=dossier_id,
                kind="candidate",
                payload=payload,
                title="technical_director",
                created_at=last_event - timedelta(days=30),
                workflow_confirmed_at=last_event - timedelta(days=30),
            )
        )
        session.add(
            DossierStatusView(
                dossier_id=dossier_id,
                status=status,
                updated_at=last_event,
                last_event_at=last_event,
            )
        )
        session.add(
            DossierTimelineEntry(
                event_id=uuid4(),
                dossier_id=dossier_id,
                status=status,
                occurred_at=last_event,
                note="Note au sujet de Camille",
            )
        )
        session.add(
            StaffDossier(
                dossier_id=dossier_id,
                kind="candidate",
                title="technical_director",
                status=status,
                updated_at=last_event,
                application=payload,
                search_text=f"camille martin {EMAIL}",
            )
        )
        session.add(
            StaffTimelineEntry(
                event_id=uuid4(),
                dossier_id=dossier_id,
                status=status,
                note="Note au sujet de Camille",
                occurred_at=last_event,
            )
        )
        session.add(
            InternalComment(
                dossier_id=dossier_id,
                author="staff-1",
                body="Camille a un profil solide",
                created_at=last_event,
            )
        )
        session.add(
            Evaluation(
                dossier_id=dossier_id,
                author="evaluator-1",
                scores={"impact": 2},
                comment="Camille convainc",
                created_at=last_event,
            )
        )
        session.add(
            ConflictDeclaration(
                dossier_id=dossier_id,
                evaluator="evaluator-2",
                reason="Camille est une ancienne collègue",
                declared_at=last_event,
            )
        )
        contract_id = uuid4()
        session.add(
            ContractRecord(
                contract_id=contract_id,
                dossier_id=dossier_id,
                contract_number=f"EIG-7-{str(dossier_id)[:4]}",
                version=1,
                # A withdrawn or rejected candidate has no contract in real life; the contract's
                # own status is what counts here: ended for the old final dossier only.
                status="ended" if dossier_id == self.final_old else "active",
                promotion_number=7,
                band="up_to_10_years",
                eig_name="Camille Martin",
                contact_email=EMAIL,
                start_on=date(2024, 1, 1),
                end_on=date(2024, 12, 31),
                terms={"eig_name": "Camille Martin", "monthly_net_eur": "4250"},
                updated_at=last_event,
            )
        )
        session.add(
            ContractTimelineRecord(
                event_id=uuid4(),
                contract_id=contract_id,
                event_type="ContractStatusChanged",
                status="ended",
                note="Bonne fin de mission Camille",
                version=1,
                occurred_at=last_event,
            )
        )


def results_event(dossier_id: UUID, status: DossierStatus, at: datetime) -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=dossier_id,
        occurred_at=at,
        kind=DossierKind.CANDIDATE,
        status=status,
        title="technical_director",
        contact=Contact(name="Camille Martin", email=EMAIL),
        promotion_number=7,
    )


async def rows(sessions: async_sessionmaker[AsyncSession], model: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(select(model))).all())


def purged(table: str, action: str) -> float:
    value: float = ROWS_PURGED.labels(table=table, action=action)._value.get()
    return value


class TestRetentionPurge:
    async def test_exactly_the_expired_rows_go_and_a_second_run_changes_nothing(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        seeded = Seeded()
        await seeded.write(sessions)
        deleted_before = purged("outbox_messages", "deleted")

        reports = await purge_all(sessions, POLICY, NOW)

        counts = {name: report.as_dict() for name, report in reports.items()}
        assert counts["intake"] == {
            "applications.anonymised": 1,
            "dossier_timeline_entries.anonymised": 1,
            "idempotency_records.deleted": 3,
            "outbox_messages.deleted": 3,
        }
        assert counts["workflows"] == {"outbox_messages.deleted": 3}
        assert counts["notifications"] == {
            "notification_failures.deleted": 3,
            "sent_notifications.deleted": 3,
        }
        assert counts["selection"] == {
            "conflict_declarations.anonymised": 1,
            "evaluations.anonymised": 1,
            "internal_comments.deleted": 1,
            "staff_dossiers.anonymised": 1,
            "staff_timeline_entries.anonymised": 1,
        }
        assert counts["contracts"] == {
            "contract_timeline_entries.anonymised": 1,
            "contracts.anonymised": 1,
        }
        assert purged("outbox_messages", "deleted") - deleted_before == 6
        await self.assert_only_the_expired_rows_changed(sessions, seeded)

        again = await purge_all(sessions, POLICY, NOW)

        assert all(report.total == 0 for report in again.values())
        await self.assert_only_the_expired_rows_changed(sessions, seeded)

    async def test_the_public_results_count_what_they_counted(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        seeded = Seeded()
        await seeded.write(sessions)
        for event in seeded.results_events:
            await record_results_dossier_event(sessions, event, default_promotion=7)
        before = await intake.public_results(sessions, current_promotion=7)
        assert sum(row.count for row in before.promotions[0].applications_received) == 3

        await purge_all(sessions, POLICY, NOW)

        assert await intake.public_results(sessions, current_promotion=7) == before

    async def assert_only_the_expired_rows_changed(
        self, sessions: async_sessionmaker[AsyncSession], seeded: Seeded
    ) -> None:
        assert [r.key for r in await rows(sessions, IdempotencyRecord)] == ["recent"]
        outbox = await rows(sessions, OutboxMessage)
        kept = sorted(
            (r.origin, r.key, r.sent_at is None, r.sent_at is not None and r.sent_at > days_ago(7))
            for r in outbox
        )
        assert kept == sorted(
            [
                (OutboxOrigin.INTAKE, str(seeded.unconfirmed_old), False, False),
                (OutboxOrigin.INTAKE, str(seeded.open_old), False, True),
                (OutboxOrigin.INTAKE, str(seeded.open_old), True, False),
                (OutboxOrigin.WORKFLOWS, str(seeded.open_old), True, False),
            ]
        )
        assert [r.sent_at for r in await rows(sessions, SentNotification)] == [days_ago(89)]
        assert [r.failed_at for r in await rows(sessions, NotificationFailure)] == [days_ago(89)]

        applications = {r.dossier_id: r for r in await rows(sessions, Application)}
        erased = applications.pop(seeded.final_old)
        assert erased.payload == {
            **dict.fromkeys(("first_name", "last_name", "email"), ERASED),
            **dict.fromkeys(("entrepreneurial_experience", "motivation"), ERASED),
            "links": [],
            "role": "technical_director",
            "years_of_experience": candidate_payload()["years_of_experience"],
            "preferred_language": candidate_payload()["preferred_language"],
        }
        assert erased.personal_data_erased_at == NOW
        assert all(
            r.payload == candidate_payload() and r.personal_data_erased_at is None
            for r in applications.values()
        )
        dossiers = {r.dossier_id: r for r in await rows(sessions, StaffDossier)}
        erased_dossier = dossiers.pop(seeded.final_old)
        assert erased_dossier.application == erased.payload
        assert EMAIL not in erased_dossier.search_text
        assert erased_dossier.status == "withdrawn"  # the facts the results count stay
        assert all(r.application == candidate_payload() for r in dossiers.values())

        for model, text in (
            (DossierTimelineEntry, "note"),
            (StaffTimelineEntry, "note"),
            (Evaluation, "comment"),
            (ConflictDeclaration, "reason"),
        ):
            by_dossier = {r.dossier_id: getattr(r, text) for r in await rows(sessions, model)}
            assert by_dossier.pop(seeded.final_old) == ERASED, model
            assert all(by_dossier.values()), model
        evaluations = await rows(sessions, Evaluation)
        assert all(r.scores == {"impact": 2} for r in evaluations)
        comments = {r.dossier_id for r in await rows(sessions, InternalComment)}
        assert comments == {seeded.final_recent, seeded.open_old}

        contracts = {r.dossier_id: r for r in await rows(sessions, ContractRecord)}
        ended = contracts.pop(seeded.final_old)
        assert (ended.eig_name, ended.contact_email, ended.terms) == (
            ERASED,
            ERASED,
            {"eig_name": ERASED, "monthly_net_eur": "4250"},
        )
        assert all(r.eig_name == "Camille Martin" for r in contracts.values())
        async with sessions() as session:
            notes = await session.exec(
                select(ContractTimelineRecord.note).where(
                    col(ContractTimelineRecord.contract_id) == ended.contract_id
                )
            )
            assert notes.all() == [ERASED]


class TestCommand:
    async def test_prints_the_counts_per_table_as_json(
        self,
        database_url: str,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        await Seeded().write(sessions)
        monkeypatch.setenv("DATABASE_URL", database_url)

        code = await asyncio.to_thread(retention.main, ["--json"])

        assert code == 0
        counts = json.loads(capsys.readouterr().out)
        assert set(counts) == {name for name, _ in retention.PURGES}
        # Sent 8 days and more before NOW (the real clock is later still), or never sent.
        assert counts["workflows"] == {"outbox_messages.deleted": 3}
        assert EMAIL not in json.dumps(counts)

    async def test_exits_1_when_a_purge_failed_and_still_runs_the_others(
        self,
        database_url: str,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        await Seeded().write(sessions)
        monkeypatch.setenv("DATABASE_URL", database_url)

        async def broken(*_: object) -> PurgeReport:
            raise RuntimeError(EMAIL)

        monkeypatch.setattr(retention, "PURGES", (("broken", broken), *retention.PURGES))

        code = await asyncio.to_thread(retention.main, [])

        assert code == 1
        captured = capsys.readouterr()
        assert "broken" in captured.err
        assert EMAIL not in captured.err + captured.out
        workflows_rows = [
            row for row in await rows(sessions, OutboxMessage) if row.origin == "workflows"
        ]
        assert [row.sent_at for row in workflows_rows] == [None]  # the others still purged
