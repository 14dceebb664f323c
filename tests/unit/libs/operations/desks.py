"""An in-memory operations desk and a sample report, for the CLI, API and console tests."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from libs.messages.topics import NOTIFICATIONS_DLQ
from libs.operations.dead_letters import DeadLetterError, MessageRef
from libs.operations.models import DeadLetterAction, DeadLetterDecision
from libs.operations.report import (
    ConsumerLag,
    DeadLetter,
    DeadLetters,
    DeadLetterTopic,
    Deadlines,
    Emails,
    FailingWorkflow,
    GroupLag,
    OutboxStatus,
    PartitionLag,
    Readiness,
    ReconcilerStatus,
    ServiceReadiness,
    StatusReport,
    Thresholds,
    WorkflowCount,
    Workflows,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def poison(offset: int = 3) -> DeadLetter:
    return DeadLetter(
        topic=NOTIFICATIONS_DLQ,
        partition=0,
        offset=offset,
        timestamp=NOW - timedelta(minutes=4),
        key="0b9f5c1e-8a07-4d3c-9a1b-2f6d7e8c9d0a",
        error="ValidationError: DossierStatusChanged status input_value=<hidden>",
        source_topic="eig.dossier-events.v1",
        source_offset=f"0:{offset + 40}",
        event_type="DossierStatusChanged",
        summary={"type": "DossierStatusChanged", "status": "no-such-status"},
    )


def sample_report(
    *,
    outbox_age: timedelta = timedelta(seconds=5),
    limits: Thresholds | None = None,
    dead_letters: Sequence[DeadLetter] = (),
    failing: Sequence[FailingWorkflow] = (),
    kafka_error: str | None = None,
) -> StatusReport:
    """A report whose outbox's oldest row is ``outbox_age`` old; ``dead_letters`` wait on the
    notifications' dead-letter topic and ``failing`` workflows keep failing; with
    ``kafka_error``, the Kafka sources are unreadable (a broker outage)."""
    limits = limits or Thresholds()
    sections = {
        "outbox": OutboxStatus(pending=12, oldest_pending_at=NOW - outbox_age),
        "consumer_lag": ConsumerLag(
            groups=[
                GroupLag(
                    group="notifications",
                    topics=["eig.dossier-events.v1"],
                    state="Stable",
                    members=1,
                    partitions=[
                        PartitionLag(
                            topic="eig.dossier-events.v1",
                            partition=1,
                            committed=40,
                            end=52,
                            lag=12,
                            oldest_unconsumed_at=NOW - timedelta(seconds=30),
                        )
                    ],
                )
            ]
        ),
        "dead_letters": DeadLetters(
            topics=[
                DeadLetterTopic(
                    topic=NOTIFICATIONS_DLQ,
                    depth=len(dead_letters),
                    oldest_at=min((d.timestamp for d in dead_letters), default=None),
                    newest=list(dead_letters),
                )
            ]
        ),
        "workflows": Workflows(
            running=3,
            described=3,
            counts=[WorkflowCount(kind="candidate", status="received", count=3)],
            failing=list(failing),
        ),
        "deadlines": Deadlines(),
        "emails": Emails(
            smtp_reachable=True,
            sent={"received/candidate": 4},
            delay_p50_seconds=1.5,
            delay_p95_seconds=4.0,
        ),
        "reconciler": ReconcilerStatus(last_run_at=NOW - timedelta(seconds=20)),
        "readiness": Readiness(
            services=[ServiceReadiness(name="intake", url="http://i/readyz", status="ready")]
        ),
    }
    return StatusReport(
        generated_at=NOW,
        thresholds=limits,
        **{
            name: (
                type(section)(error=kafka_error)
                if kafka_error and name in ("consumer_lag", "dead_letters")
                else section
            ).assessed(limits, NOW)
            for name, section in sections.items()
        },
    )


@dataclass
class FakeOperationsDesk:
    """Holds dead letters in memory; a replay or discard removes one and records who did it."""

    letters: list[DeadLetter] = field(default_factory=list)
    handled: list[DeadLetterAction] = field(default_factory=list)
    replayed: list[MessageRef] = field(default_factory=list)
    error: Exception | None = None
    kafka_error: str | None = None
    """Set: the reports say the Kafka sources are unreadable, with this error."""

    async def report(self, limits: Thresholds | None = None) -> StatusReport:
        return sample_report(limits=limits, dead_letters=self.letters, kafka_error=self.kafka_error)

    async def dead_letters(self, newest: int) -> DeadLetters:
        if self.error is not None:
            raise self.error
        return sample_report(dead_letters=self.letters[:newest]).dead_letters

    async def replay(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction:
        action = self._take(ref, DeadLetterDecision.REPLAY, actor, reason)
        self.replayed.append(ref)
        return action

    async def discard(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction:
        return self._take(ref, DeadLetterDecision.DISCARD, actor, reason)

    async def history(self, limit: int) -> Sequence[DeadLetterAction]:
        return list(reversed(self.handled))[:limit]

    def _take(
        self, ref: MessageRef, decision: DeadLetterDecision, actor: str, reason: str
    ) -> DeadLetterAction:
        if self.error is not None:
            raise self.error
        for letter in self.letters:
            if (letter.topic, letter.partition, letter.offset) == (
                ref.topic,
                ref.partition,
                ref.offset,
            ):
                self.letters.remove(letter)
                action = DeadLetterAction(
                    topic=letter.topic,
                    partition=letter.partition,
                    offset=letter.offset,
                    message_timestamp_ms=int(letter.timestamp.timestamp() * 1000),
                    source_topic=letter.source_topic,
                    decision=decision.value,
                    actor=actor,
                    acted_at=NOW,
                    reason=reason,
                )
                self.handled.append(action)
                return action
        raise DeadLetterError(f"{ref.topic} {ref.partition}:{ref.offset} is not waiting")
