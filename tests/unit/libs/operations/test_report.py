"""Which facts count as stuck, against which thresholds (plain values, no engine)."""

from datetime import UTC, datetime, timedelta

import pytest

from libs.operations.report import (
    ConsumerLag,
    DeadLetters,
    DeadLetterTopic,
    Deadlines,
    Emails,
    FailingWorkflow,
    GroupLag,
    LapsingOffer,
    Level,
    OutboxStatus,
    PartitionLag,
    Readiness,
    ReconcilerStatus,
    ServiceReadiness,
    Thresholds,
    Workflows,
    duration,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMITS = Thresholds()


def levels(section: object) -> list[Level]:
    assessed = section.assessed(LIMITS, NOW)  # type: ignore[attr-defined]
    return [problem.level for problem in assessed.problems]


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


class TestOutbox:
    def test_a_young_backlog_is_fine_an_old_one_is_stuck_with_its_age_and_error(self) -> None:
        assert levels(OutboxStatus(pending=40, oldest_pending_at=ago(seconds=299))) == []
        stuck = OutboxStatus(
            pending=40, oldest_pending_at=ago(minutes=7, seconds=5), failing=3, last_error="Boom"
        ).assessed(LIMITS, NOW)
        assert stuck.level is Level.STUCK
        assert stuck.problems[0].message == (
            "40 rows pending, the oldest for 7m05s (last error: Boom)"
        )

    def test_a_stuck_backlog_says_which_process_holds_its_rows(self) -> None:
        status = OutboxStatus(
            pending=12,
            oldest_pending_at=ago(minutes=6),
            pending_by_origin={"workflows": 2, "intake": 10},
        ).assessed(LIMITS, NOW)
        assert status.problems[0].message == (
            "12 rows pending (intake 10, workflows 2), the oldest for 6m00s"
        )

    def test_failures_without_an_old_row_are_a_warning(self) -> None:
        status = OutboxStatus(pending=1, oldest_pending_at=ago(seconds=10), failing=1)
        assert levels(status) == [Level.WARNING]

    def test_a_failing_relay_names_the_whole_backlog_behind_its_first_row(self) -> None:
        """During a broker outage the relay tries one row per round: the warning says how
        many wait and since when, not only that one row failed."""
        status = OutboxStatus(
            pending=40, oldest_pending_at=ago(seconds=17), failing=1, last_error="Unreachable"
        ).assessed(LIMITS, NOW)
        assert status.problems[0].message == (
            "40 rows pending, the oldest for 17s; publishing fails (1 tried, last error: "
            "Unreachable)"
        )


def group(name: str, lag: int, *, oldest: datetime | None = None, members: int = 1) -> GroupLag:
    return GroupLag(
        group=name,
        topics=["eig.dossier-events.v1"],
        state="Stable",
        members=members,
        partitions=[
            PartitionLag(
                topic="eig.dossier-events.v1",
                partition=0,
                committed=10,
                end=10 + lag,
                lag=lag,
                oldest_unconsumed_at=oldest,
            )
        ],
    )


class TestConsumerLag:
    def test_too_many_messages_or_too_old_a_message_is_stuck(self) -> None:
        assert levels(ConsumerLag(groups=[group("notifications", 1000)])) == []
        assert levels(ConsumerLag(groups=[group("notifications", 1001)])) == [Level.STUCK]
        old = group("notifications", 3, oldest=ago(seconds=301))
        assert levels(ConsumerLag(groups=[old])) == [Level.STUCK]

    def test_a_backlog_without_consumer_is_a_warning(self) -> None:
        idle = group("notifications", 5, oldest=ago(seconds=10), members=0)
        assert levels(ConsumerLag(groups=[idle])) == [Level.WARNING]

    def test_the_dead_letter_bookkeeping_group_is_left_to_the_dead_letter_section(self) -> None:
        ops = group("ops-dead-letters", 5000, oldest=ago(days=3))
        assert levels(ConsumerLag(groups=[ops])) == []


class TestDeadLetters:
    def test_any_unhandled_message_is_stuck_unless_tolerated(self) -> None:
        topic = DeadLetterTopic(topic="eig.notifications.dlq.v1", depth=1, oldest_at=ago(hours=3))
        section = DeadLetters(topics=[topic])
        assert levels(section) == [Level.STUCK]
        assert section.assessed(LIMITS, NOW).problems[0].message == (
            "eig.notifications.dlq.v1: 1 unhandled, the oldest for 3h00m"
        )
        tolerant = Thresholds(dead_letters=1)
        assert section.assessed(tolerant, NOW).problems == []


def failing(problem: str, attempt: int) -> FailingWorkflow:
    return FailingWorkflow(
        workflow_id="dossier-1",
        run_id="run",
        workflow_type="CandidateDossierWorkflow",
        problem=problem,
        activity_type="publish_status_change" if problem == "activity" else None,
        attempt=attempt,
        last_failure="Kafka unreachable",
        since=ago(minutes=1),
        ui_url="http://ui/namespaces/default/workflows/dossier-1/run/history",
    )


class TestWorkflows:
    def test_retrying_activities_warn_then_stick_and_failing_workflow_tasks_stick_sooner(
        self,
    ) -> None:
        assert levels(Workflows(failing=[failing("activity", 2)])) == [Level.WARNING]
        assert levels(Workflows(failing=[failing("activity", 3)])) == [Level.STUCK]
        assert levels(Workflows(failing=[failing("workflow_task", 2)])) == [Level.STUCK]

    def test_the_problem_names_the_activity_and_links_the_ui(self) -> None:
        (problem,) = Workflows(failing=[failing("activity", 4)]).assessed(LIMITS, NOW).problems
        assert "dossier-1: publish_status_change attempt 4 (Kafka unreachable)" in problem.message
        assert problem.message.endswith("/workflows/dossier-1/run/history")

    def test_running_workflows_left_unexamined_are_a_warning(self) -> None:
        assert levels(Workflows(running=1500, described=1000)) == [Level.WARNING]


class TestEmails:
    def test_smtp_down_undelivered_and_slow_delivery(self) -> None:
        assert levels(Emails(smtp_reachable=True, delay_p95_seconds=300)) == []
        assert levels(Emails(smtp_reachable=False, smtp_error="refused")) == [Level.STUCK]
        young = Emails(undelivered=2, oldest_undelivered_at=ago(minutes=5))
        assert levels(young) == [Level.WARNING]
        old = Emails(undelivered=2, oldest_undelivered_at=ago(minutes=11))
        assert levels(old) == [Level.STUCK]
        assert levels(Emails(delay_p95_seconds=540)) == [Level.STUCK]


class TestReconciler:
    def test_idle_reconciler_and_old_unconfirmed_dossiers_are_stuck(self) -> None:
        assert levels(ReconcilerStatus(last_run_at=ago(minutes=1))) == []
        assert levels(ReconcilerStatus()) == [Level.WARNING]
        assert levels(ReconcilerStatus(last_run_at=ago(minutes=11))) == [Level.STUCK]
        late = ReconcilerStatus(
            last_run_at=ago(minutes=1), unconfirmed=3, oldest_unconfirmed_at=ago(minutes=16)
        )
        assert levels(late) == [Level.STUCK]


class TestDeadlines:
    def test_overdue_and_soon_lapsing_are_warnings_an_offer_past_expiry_is_stuck(self) -> None:
        soon = LapsingOffer(contract_number="EIG-7-0001", dossier_id="d", expires_at=NOW)
        later = LapsingOffer(
            contract_number="EIG-7-0002", dossier_id="d", expires_at=NOW + timedelta(days=3)
        )
        section = Deadlines(lapsing_offers=[soon, later], lapsed_open=1)
        assessed = section.assessed(LIMITS, NOW)
        assert [p.level for p in assessed.problems] == [Level.WARNING, Level.STUCK]
        assert assessed.problems[0].message == "1 offers lapse within 48 h: EIG-7-0001"


class TestReadiness:
    def test_degraded_warns_and_not_ready_or_unreachable_is_stuck(self) -> None:
        def service(status: str) -> ServiceReadiness:
            checks = {"database": "ok", "kafka": "unreachable: KafkaError"}
            return ServiceReadiness(name="intake", url="u", status=status, checks=checks)

        assert levels(Readiness(services=[service("ready")])) == []
        assert levels(Readiness(services=[service("degraded")])) == [Level.WARNING]
        (problem,) = Readiness(services=[service("not_ready")]).assessed(LIMITS, NOW).problems
        assert problem.level is Level.STUCK
        assert problem.message == "intake not_ready kafka unreachable: KafkaError"


class TestThresholds:
    def test_overrides_are_validated_by_name_and_type(self) -> None:
        assert (
            Thresholds().with_overrides({"outbox_oldest_seconds": "60"}).outbox_oldest_seconds == 60
        )
        with pytest.raises(ValueError, match="unknown threshold"):
            Thresholds().with_overrides({"outbox": "60"})
        with pytest.raises(ValueError):
            Thresholds().with_overrides({"dead_letters": "-1"})

    def test_an_unreadable_source_is_unknown_whatever_its_facts(self) -> None:
        assert levels(OutboxStatus(error="timed out")) == [Level.UNKNOWN]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (42.9, "42s"), (425, "7m05s"), (11520, "3h12m"), (187200, "2d04h")],
)
def test_durations_read_at_a_glance(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text
