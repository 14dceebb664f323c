"""The reconciler confirms dossiers that have a workflow and republishes those that do not."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from libs.operations.reconciler import collect_reconciler
from libs.operations.report import Level, Thresholds
from libs.outbox.models import OutboxMessage
from services.intake import metrics
from services.intake.bootstrap import Intake
from services.intake.models import Application
from services.intake.reconciler import reconcile_once
from services.intake.repository import OutboxRepository
from services.intake.service_layer import confirm_application, submit_application
from tests.unit.services.intake.forms import candidate_form
from workflows.dossier.models import dossier_workflow_id

GRACE = timedelta(seconds=30)


class FakeTemporal:
    def __init__(self, existing: Collection[str] = (), unreachable: bool = False) -> None:
        self.known = set(existing)
        self.unreachable = unreachable
        self.asked: list[str] = []
        self.calls = 0

    async def existing(self, workflow_ids: Sequence[str]) -> set[str]:
        self.calls += 1
        self.asked.extend(workflow_ids)
        if self.unreachable:
            raise ConnectionError("temporal down")
        return self.known & set(workflow_ids)


async def new_dossier(intake: Intake, *, sent: bool) -> UUID:
    """A confirmed application (an unconfirmed one has no workflow to expect)."""
    dossier_id = (await submit_application(intake.sessions, candidate_form())).dossier_id
    await confirm_application(intake.sessions, dossier_id)
    if sent:
        await relay(intake, dossier_id)
    return dossier_id


async def relay(intake: Intake, dossier_id: UUID) -> None:
    """What the outbox relay does: the submission marked sent now."""
    async with intake.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        row = await outbox.submission_of(dossier_id)
        assert row is not None and row.id is not None
        await outbox.mark_sent([row.id], datetime.now(UTC))


async def application(intake: Intake, dossier_id: UUID) -> Application:
    async with intake.sessions() as session:
        found = await session.get(Application, dossier_id)
    assert found is not None
    return found


async def submission(intake: Intake, dossier_id: UUID) -> OutboxMessage:
    async with intake.sessions() as session:
        found = await OutboxRepository(session).submission_of(dossier_id)
    assert found is not None
    return found


def later() -> datetime:
    return datetime.now(UTC) + GRACE + timedelta(seconds=5)


class TestReconcileOnce:
    async def test_a_dossier_with_a_workflow_is_confirmed_once_for_all(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake, sent=True)
        temporal = FakeTemporal(existing={dossier_workflow_id(dossier_id)})

        report = await reconcile_once(intake.sessions, temporal, grace=GRACE, now=later())
        again = await reconcile_once(intake.sessions, temporal, grace=GRACE, now=later())

        assert (report.checked, report.confirmed, report.republished) == (1, 1, 0)
        assert (await application(intake, dossier_id)).workflow_confirmed_at is not None
        assert again.checked == 0
        assert temporal.asked == [dossier_workflow_id(dossier_id)]

    async def test_a_sent_dossier_without_workflow_is_republished_as_the_same_event(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake, sent=True)
        before = await submission(intake, dossier_id)
        woken: list[bool] = []

        report = await reconcile_once(
            intake.sessions,
            FakeTemporal(),
            grace=GRACE,
            now=later(),
            on_republished=lambda: woken.append(True),
        )

        assert (report.checked, report.republished) == (1, 1)
        after = await submission(intake, dossier_id)
        assert after.sent_at is None
        assert (after.id, after.event_id, after.payload) == (
            before.id,
            before.event_id,
            before.payload,
        )
        assert (await application(intake, dossier_id)).workflow_confirmed_at is None
        assert woken == [True]

    async def test_a_batch_is_looked_up_in_one_call_and_written_in_one_go(
        self, intake: Intake
    ) -> None:
        with_workflow = [await new_dossier(intake, sent=True) for _ in range(3)]
        without = [await new_dossier(intake, sent=True) for _ in range(2)]
        temporal = FakeTemporal(existing={dossier_workflow_id(id_) for id_ in with_workflow})

        report = await reconcile_once(intake.sessions, temporal, grace=GRACE, now=later())

        assert (report.checked, report.confirmed, report.republished) == (5, 3, 2)
        assert temporal.calls == 1
        for dossier_id in with_workflow:
            assert (await application(intake, dossier_id)).workflow_confirmed_at is not None
        for dossier_id in without:
            assert (await submission(intake, dossier_id)).sent_at is None

    async def test_a_submission_still_in_the_outbox_is_left_to_the_relay(
        self, intake: Intake
    ) -> None:
        await new_dossier(intake, sent=False)
        report = await reconcile_once(intake.sessions, FakeTemporal(), grace=GRACE, now=later())
        assert (report.checked, report.republished, report.awaiting_delivery) == (1, 0, 1)

    async def test_dossiers_younger_than_the_grace_period_are_not_checked(
        self, intake: Intake
    ) -> None:
        await new_dossier(intake, sent=True)
        temporal = FakeTemporal()
        report = await reconcile_once(intake.sessions, temporal, grace=GRACE)
        assert report.checked == 0
        assert temporal.asked == []

    async def test_an_application_whose_address_is_not_confirmed_is_not_expected_to_start(
        self, intake: Intake
    ) -> None:
        await submit_application(intake.sessions, candidate_form())
        temporal = FakeTemporal()

        report = await reconcile_once(intake.sessions, temporal, grace=GRACE, now=later())

        assert report.checked == 0
        assert temporal.asked == []

    async def test_temporal_unreachable_changes_nothing(self, intake: Intake) -> None:
        dossier_id = await new_dossier(intake, sent=True)

        report = await reconcile_once(
            intake.sessions, FakeTemporal(unreachable=True), grace=GRACE, now=later()
        )

        assert report.temporal_unreachable is True
        assert (report.checked, report.republished) == (0, 0)
        assert (await submission(intake, dossier_id)).sent_at is not None
        assert (await application(intake, dossier_id)).workflow_confirmed_at is None


class TestBoundedRepublishing:
    async def test_a_dossier_is_given_up_on_after_its_last_republish_and_reported(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake, sent=True)
        temporal = FakeTemporal()
        given_up_before = metrics.RECONCILER_GIVEN_UP._value.get()

        rounds = []
        for _ in range(3):
            rounds.append(
                await reconcile_once(
                    intake.sessions, temporal, grace=GRACE, max_republishes=2, now=later()
                )
            )
            await relay(intake, dossier_id)
        after = await reconcile_once(
            intake.sessions, temporal, grace=GRACE, max_republishes=2, now=later()
        )

        assert [(r.republished, r.given_up) for r in rounds] == [(1, 0), (1, 0), (0, 1)]
        assert after.checked == 0  # no longer looked up nor republished
        found = await application(intake, dossier_id)
        assert found.republish_count == 2 and found.reconcile_given_up_at is not None
        assert metrics.RECONCILER_GIVEN_UP._value.get() == given_up_before + 1
        status = await collect_reconciler(intake.sessions)
        assert (status.given_up, status.given_up_dossiers) == (1, [dossier_id])
        problems = status.assess(Thresholds(), datetime.now(UTC))
        assert [problem.level for problem in problems if str(dossier_id) in problem.message] == [
            Level.STUCK
        ]

    async def test_the_last_republish_gets_its_grace_period_before_giving_up(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake, sent=True)
        temporal = FakeTemporal()
        await reconcile_once(intake.sessions, temporal, grace=GRACE, max_republishes=1, now=later())

        # Republished, not relayed yet: the bridge has not had its chance.
        waiting = await reconcile_once(
            intake.sessions, temporal, grace=GRACE, max_republishes=1, now=later()
        )

        assert (waiting.given_up, waiting.awaiting_delivery) == (0, 1)
        assert (await application(intake, dossier_id)).reconcile_given_up_at is None
