"""The operations report: what each source says, and which of it is stuck beyond its threshold.

Collectors fill one section per source with facts only; :meth:`Section.assess` turns facts
into problems against :class:`Thresholds`. Kept apart so the rules are unit-tested with plain
values and the same report serves the CLI (``python -m deploy.status``) and the console.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Self
from uuid import UUID

from pydantic import BaseModel, Field, computed_field

from libs.messages.topics import ConsumerGroups


class Level(StrEnum):
    """A section (and the report) takes the worst level of its problems."""

    OK = "ok"
    WARNING = "warning"
    """Worth a look (an overdue stage, an offer about to lapse); not stuck."""
    STUCK = "stuck"
    """Beyond its threshold: the CLI exits non-zero."""
    UNKNOWN = "unknown"
    """The source could not be read: nothing says it is fine, so it counts as stuck."""

    @property
    def rank(self) -> int:
        return list(Level).index(self)


def worst(levels: Iterable[Level]) -> Level:
    return max(levels, key=lambda level: level.rank, default=Level.OK)


class Thresholds(BaseModel):
    """When something counts as stuck (each overridable: ``--threshold NAME=VALUE``)."""

    outbox_oldest_seconds: float = Field(default=300, ge=0)
    """A pending outbox row older than this: the broker has been unreachable that long."""
    lag_messages: int = Field(default=1000, ge=0)
    """A consumer group further behind than this on one topic."""
    lag_oldest_seconds: float = Field(default=300, ge=0)
    """The oldest message a group has not consumed yet is older than this."""
    dead_letters: int = Field(default=0, ge=0)
    """Unhandled messages tolerated on a dead-letter topic."""
    activity_attempts: int = Field(default=3, ge=1)
    """A pending activity retried this many times keeps failing."""
    workflow_task_attempts: int = Field(default=2, ge=1)
    """A workflow task attempted this many times fails (a code or replay problem)."""
    email_undelivered_seconds: float = Field(default=600, ge=0)
    """An e-mail whose first failure is older than this is still not delivered."""
    email_delay_p95_seconds: float = Field(default=300, ge=0)
    """95 % of last hour's e-mails should reach SMTP within this delay from their event."""
    reconciler_idle_seconds: float = Field(default=600, ge=0)
    """The reconciler's last round is older than this."""
    unconfirmed_seconds: float = Field(default=900, ge=0)
    """An accepted dossier still has no confirmed workflow this long after submission."""
    offer_lapse_hours: float = Field(default=48, ge=0)
    """Offers lapsing within this horizon are listed (a warning)."""

    def with_overrides(self, overrides: dict[str, str]) -> "Thresholds":
        unknown = sorted(set(overrides) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"unknown threshold(s): {', '.join(unknown)}")
        return type(self).model_validate({**self.model_dump(), **overrides})


class Problem(BaseModel):
    level: Level
    message: str


def age_seconds(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


def duration(seconds: float | None) -> str:
    """``42s``, ``7m05s``, ``3h12m``, ``2d04h``: short enough for one line per item."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


class Section(BaseModel):
    """Common to every source: its problems, or why it could not be read."""

    TITLE: ClassVar[str] = ""

    error: str | None = Field(default=None, description="Set when the source could not be read")
    problems: list[Problem] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level(self) -> Level:
        return worst(problem.level for problem in self.problems)

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        """The problems of this section's facts; overridden by each source."""
        return []

    def assessed(self, limits: Thresholds, now: datetime) -> Self:
        if self.error is not None:
            problems = [Problem(level=Level.UNKNOWN, message=f"unreadable: {self.error}")]
        else:
            problems = self.assess(limits, now)
        return self.model_copy(update={"problems": problems})


# --- outbox ---


class OutboxStatus(Section):
    TITLE: ClassVar[str] = "Outbox (intake → Kafka)"

    pending: int = 0
    oldest_pending_at: datetime | None = None
    failing: int = Field(default=0, description="Pending rows whose last publish attempt failed")
    last_error: str | None = Field(default=None, description="The newest row's publish error")
    pending_by_origin: dict[str, int] = Field(
        default_factory=dict,
        description="Pending rows per relaying process (intake, workflows…): where they wait",
    )

    def _where(self) -> str:
        if not self.pending_by_origin:
            return ""
        parts = ", ".join(
            f"{origin} {rows}" for origin, rows in sorted(self.pending_by_origin.items())
        )
        return f" ({parts})"

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        age = age_seconds(self.oldest_pending_at, now)
        if age is not None and age > limits.outbox_oldest_seconds:
            return [
                Problem(
                    level=Level.STUCK,
                    message=f"{self.pending} rows pending{self._where()}, the oldest for "
                    f"{duration(age)}"
                    + (f" (last error: {self.last_error})" if self.last_error else ""),
                )
            ]
        if self.failing:
            # The relay stops a round at its first failure: ``failing`` counts the rows tried,
            # the whole backlog waits behind them.
            return [
                Problem(
                    level=Level.WARNING,
                    message=f"{self.pending} rows pending{self._where()}, the oldest for "
                    f"{duration(age)}; "
                    f"publishing fails ({self.failing} tried"
                    + (f", last error: {self.last_error})" if self.last_error else ")"),
                )
            ]
        return []


# --- Kafka consumer lag ---


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int | None = Field(description="None: the group never committed here")
    end: int
    lag: int
    oldest_unconsumed_at: datetime | None = Field(
        default=None, description="Timestamp of the first message the group has not consumed"
    )


class GroupLag(BaseModel):
    group: str
    topics: list[str]
    state: str = Field(description="Stable, Empty, PreparingRebalance, Dead, … or unknown")
    members: int
    partitions: list[PartitionLag]

    def lag_on(self, topic: str) -> int:
        return sum(p.lag for p in self.partitions if p.topic == topic)

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def oldest_unconsumed_at(self) -> datetime | None:
        stamps = [p.oldest_unconsumed_at for p in self.partitions if p.oldest_unconsumed_at]
        return min(stamps, default=None)


class ConsumerLag(Section):
    TITLE: ClassVar[str] = "Kafka consumer lag"

    groups: list[GroupLag] = Field(default_factory=list)

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems: list[Problem] = []
        for group in self.groups:
            if group.group == ConsumerGroups.OPS_DEAD_LETTERS:
                continue  # dead letters are assessed on their own, with what was handled
            age = age_seconds(group.oldest_unconsumed_at, now)
            worst = max((group.lag_on(topic) for topic in group.topics), default=0)
            if worst > limits.lag_messages or (age is not None and age > limits.lag_oldest_seconds):
                problems.append(
                    Problem(
                        level=Level.STUCK,
                        message=f"{group.group}: {group.lag} messages behind, the oldest "
                        f"waiting for {duration(age)} ({group.members} members, {group.state})",
                    )
                )
            elif group.lag and group.members == 0:
                problems.append(
                    Problem(
                        level=Level.WARNING,
                        message=f"{group.group}: {group.lag} messages behind and no consumer",
                    )
                )
        return problems


# --- dead letters ---


class DeadLetter(BaseModel):
    """One dead-lettered message, shown without personal data."""

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None = Field(description="The Kafka key: a dossier id")
    error: str = Field(description="eig-dlq-error, with input values and e-mails masked")
    source_topic: str | None = Field(description="eig-dlq-source-topic")
    source_offset: str | None = Field(description="eig-dlq-source-offset (partition:offset)")
    event_type: str | None = Field(description="eig-event-type")
    summary: dict[str, str] = Field(
        description="Only the payload's non-personal fields (type, ids, status, …)"
    )
    replayed_from: str | None = Field(
        default=None,
        description="eig-replayed-from: the dead letter (topic:partition:offset) this message "
        "is a replayed copy of, which failed again",
    )

    @property
    def ref(self) -> str:
        """``topic:partition:offset``, as a replay's ``eig-replayed-from`` names it."""
        return f"{self.topic}:{self.partition}:{self.offset}"


class DeadLetterTopic(BaseModel):
    topic: str
    depth: int = Field(description="Messages neither replayed nor discarded")
    oldest_at: datetime | None
    newest: list[DeadLetter] = Field(
        default_factory=list, description="The newest unhandled messages, newest first"
    )


class DeadLetters(Section):
    TITLE: ClassVar[str] = "Dead-letter topics"

    topics: list[DeadLetterTopic] = Field(default_factory=list)

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        return [
            Problem(
                level=Level.STUCK,
                message=f"{topic.topic}: {topic.depth} unhandled, the oldest for "
                f"{duration(age_seconds(topic.oldest_at, now))}",
            )
            for topic in self.topics
            if topic.depth > limits.dead_letters
        ]


# --- workflows ---


class WorkflowCount(BaseModel):
    kind: str
    status: str
    count: int


class FailingWorkflow(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    problem: str = Field(description="activity or workflow_task")
    activity_type: str | None = None
    attempt: int
    last_failure: str | None
    since: datetime | None = Field(description="When the failing task was first scheduled")
    ui_url: str


class Workflows(Section):
    TITLE: ClassVar[str] = "Workflows (Temporal)"

    counts: list[WorkflowCount] = Field(default_factory=list)
    running: int = 0
    described: int = Field(default=0, description="Running workflows whose tasks were examined")
    failing: list[FailingWorkflow] = Field(default_factory=list)

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems: list[Problem] = []
        for item in self.failing:
            limit = (
                limits.activity_attempts
                if item.problem == "activity"
                else limits.workflow_task_attempts
            )
            what = item.activity_type if item.problem == "activity" else "workflow task"
            problems.append(
                Problem(
                    level=Level.STUCK if item.attempt >= limit else Level.WARNING,
                    message=f"{item.workflow_id}: {what} attempt {item.attempt}"
                    f" ({item.last_failure or 'no failure recorded'}) {item.ui_url}",
                )
            )
        if self.described < self.running:
            problems.append(
                Problem(
                    level=Level.WARNING,
                    message=f"only {self.described} of {self.running} running workflows examined",
                )
            )
        return problems


# --- deadlines and offers ---


class OverdueStage(BaseModel):
    kind: str
    status: str
    count: int
    oldest_since: datetime = Field(description="When the longest-waiting one entered the stage")


class LapsingOffer(BaseModel):
    contract_number: str
    dossier_id: str
    expires_at: datetime


class Deadlines(Section):
    TITLE: ClassVar[str] = "Deadlines and offers"

    overdue: list[OverdueStage] = Field(default_factory=list)
    lapsing_offers: list[LapsingOffer] = Field(
        default_factory=list, description="Offers still open that lapse within the horizon"
    )
    lapsed_open: int = Field(
        default=0, description="Offers past their expiry that no event has closed"
    )

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems = [
            Problem(
                level=Level.WARNING,
                message=f"{stage.count} {stage.kind} dossiers overdue in {stage.status}, "
                f"the oldest there for {duration(age_seconds(stage.oldest_since, now))}",
            )
            for stage in self.overdue
        ]
        horizon = now + timedelta(hours=limits.offer_lapse_hours)
        soon = [offer for offer in self.lapsing_offers if offer.expires_at <= horizon]
        if soon:
            problems.append(
                Problem(
                    level=Level.WARNING,
                    message=f"{len(soon)} offers lapse within {limits.offer_lapse_hours:g} h: "
                    + ", ".join(offer.contract_number for offer in soon[:5]),
                )
            )
        if self.lapsed_open:
            problems.append(
                Problem(
                    level=Level.STUCK,
                    message=f"{self.lapsed_open} offers are past their expiry but still open "
                    "(contract workflows or their events are behind)",
                )
            )
        return problems


# --- e-mails ---


class Emails(Section):
    TITLE: ClassVar[str] = "E-mails"

    window_seconds: float = 3600
    sent: dict[str, int] = Field(default_factory=dict, description="Per template, in the window")
    failed: dict[str, int] = Field(
        default_factory=dict, description="Failed attempts per template, in the window"
    )
    undelivered: int = Field(default=0, description="E-mails that failed and were never sent")
    oldest_undelivered_at: datetime | None = None
    delay_p50_seconds: float | None = Field(default=None, description="Event time to SMTP")
    delay_p95_seconds: float | None = None
    smtp_reachable: bool | None = None
    smtp_error: str | None = None

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems: list[Problem] = []
        if self.smtp_reachable is False:
            problems.append(
                Problem(level=Level.STUCK, message=f"SMTP unreachable: {self.smtp_error}")
            )
        age = age_seconds(self.oldest_undelivered_at, now)
        if self.undelivered:
            stuck = age is not None and age > limits.email_undelivered_seconds
            problems.append(
                Problem(
                    level=Level.STUCK if stuck else Level.WARNING,
                    message=f"{self.undelivered} e-mails not delivered, the oldest failing for "
                    f"{duration(age)}",
                )
            )
        p95 = self.delay_p95_seconds
        if p95 is not None and p95 > limits.email_delay_p95_seconds:
            problems.append(
                Problem(
                    level=Level.STUCK,
                    message=f"e-mail delay p95 {duration(p95)} over the last hour",
                )
            )
        return problems


# --- reconciler ---


class ReconcilerStatus(Section):
    TITLE: ClassVar[str] = "Reconciler (every dossier has its workflow)"

    last_run_at: datetime | None = None
    last_checked: int = 0
    last_republished: int = 0
    last_temporal_unreachable: bool = False
    republished_total: int = 0
    unconfirmed: int = Field(default=0, description="Accepted dossiers not yet seen in Temporal")
    oldest_unconfirmed_at: datetime | None = None
    given_up: int = Field(
        default=0,
        description="Dossiers republished RECONCILE_MAX_REPUBLISHES times, still without a "
        "workflow: the reconciler no longer republishes them",
    )
    given_up_dossiers: list[UUID] = Field(
        default_factory=list, description="The most recent of them (ids only)"
    )

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems: list[Problem] = []
        if self.given_up:
            problems.append(
                Problem(
                    level=Level.STUCK,
                    message=f"{self.given_up} dossiers given up on after every republish, "
                    f"still without a workflow: {', '.join(map(str, self.given_up_dossiers))}",
                )
            )
        idle = age_seconds(self.last_run_at, now)
        if idle is None:
            problems.append(Problem(level=Level.WARNING, message="no reconciler round recorded"))
        elif idle > limits.reconciler_idle_seconds:
            problems.append(Problem(level=Level.STUCK, message=f"last round {duration(idle)} ago"))
        if self.last_temporal_unreachable:
            problems.append(
                Problem(level=Level.WARNING, message="last round could not reach Temporal")
            )
        age = age_seconds(self.oldest_unconfirmed_at, now)
        if age is not None and age > limits.unconfirmed_seconds:
            problems.append(
                Problem(
                    level=Level.STUCK,
                    message=f"{self.unconfirmed} dossiers without a confirmed workflow, the "
                    f"oldest submitted {duration(age)} ago",
                )
            )
        return problems


# --- readiness ---


class ServiceReadiness(BaseModel):
    name: str
    url: str
    status: str = Field(description="ready, degraded, not_ready or unreachable")
    checks: dict[str, str] = Field(default_factory=dict)


class Readiness(Section):
    TITLE: ClassVar[str] = "Services (/readyz)"

    services: list[ServiceReadiness] = Field(default_factory=list)

    def assess(self, limits: Thresholds, now: datetime) -> list[Problem]:
        problems: list[Problem] = []
        for service in self.services:
            if service.status == "ready":
                continue
            failing = ", ".join(
                f"{name} {value}" for name, value in service.checks.items() if value != "ok"
            )
            level = Level.WARNING if service.status == "degraded" else Level.STUCK
            problems.append(
                Problem(level=level, message=f"{service.name} {service.status} {failing}".strip())
            )
        return problems


# --- the whole report ---


class StatusReport(BaseModel):
    generated_at: datetime
    thresholds: Thresholds
    outbox: OutboxStatus
    consumer_lag: ConsumerLag
    dead_letters: DeadLetters
    workflows: Workflows
    deadlines: Deadlines
    emails: Emails
    reconciler: ReconcilerStatus
    readiness: Readiness

    def sections(self) -> list[Section]:
        return [
            self.readiness,
            self.outbox,
            self.consumer_lag,
            self.dead_letters,
            self.workflows,
            self.emails,
            self.reconciler,
            self.deadlines,
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level(self) -> Level:
        return worst(section.level for section in self.sections())

    @property
    def stuck(self) -> bool:
        return self.level.rank >= Level.STUCK.rank
