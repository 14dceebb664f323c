"""Applications and dossier inputs, stand-in activities, and waits on a history."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError

from libs.messages.applications import (
    AdministrationKind,
    BetaGouvPhase,
    CandidateApplication,
    CandidateApplicationSubmitted,
    ProjectApplication,
    ProjectApplicationSubmitted,
)
from libs.messages.common import Contact, DossierKind, Language, Role
from tests.eventually import eventually
from tests.unit.workflows.contract.stand_ins import ContractStandIns
from workflows.contract.models import contract_workflow_id
from workflows.contract.workflows import CONTRACT_WORKFLOWS
from workflows.dossier.models import (
    DESCRIBE_DOSSIER,
    PUBLISH_DEADLINE_PASSED,
    PUBLISH_STATUS_CHANGE,
    SNAPSHOT,
    ActionRequest,
    ActionResult,
    DescribeDossierInput,
    DossierInput,
    DossierSnapshot,
    PublishDeadlinePassedInput,
    PublishStatusChangeInput,
)
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.promotion.models import (
    ENROL_IN_ROUND,
    LEAVE_ROUND,
    RELEASE_SEAT,
    RESERVE_SEAT,
    EnrolInput,
    EnrolResult,
    LeaveRoundInput,
    RoundRef,
    SeatInput,
    SeatResult,
)

TITLES = {DossierKind.CANDIDATE: "technical_director", DossierKind.PROJECT: "Signalement simplifié"}


def candidate_application_submitted(
    dossier_id: uuid.UUID | None = None,
) -> CandidateApplicationSubmitted:
    return CandidateApplicationSubmitted(
        dossier_id=dossier_id or uuid.uuid4(),
        payload=CandidateApplication(
            first_name="Camille",
            last_name="Martin",
            email="camille@example.org",
            role=Role.TECHNICAL_DIRECTOR,
            years_of_experience=9,
            entrepreneurial_experience="Co-founded a civic tech start-up.",
            preferred_language=Language.EN,
        ),
    )


def project_application_submitted(
    dossier_id: uuid.UUID | None = None,
) -> ProjectApplicationSubmitted:
    return ProjectApplicationSubmitted(
        dossier_id=dossier_id or uuid.uuid4(),
        payload=ProjectApplication(
            administration_name="Direction interministérielle du numérique",
            administration_kind=AdministrationKind.CENTRAL,
            project_title="Signalement simplifié",
            problem_statement="Citizens struggle to report issues.",
            public_policy="Simplification administrative",
            sponsor_name="Alex Dupont",
            sponsor_role="Directeur",
            beta_gouv_phase=BetaGouvPhase.INVESTIGATION,
            profiles_wanted=[Role.PRODUCT_DIRECTOR],
            twelve_month_goals="Halve the time to handle a report.",
            contact_name="Sam Bernard",
            contact_email="sam@example.org",
        ),
    )


def sample_dossier(
    kind: DossierKind, dossier_id: uuid.UUID | None = None, **fields: Any
) -> DossierInput:
    """A dossier as the bridge starts it; ``fields`` override the new-stage facts."""
    facts: dict[str, Any] = (
        {"role": Role.TECHNICAL_DIRECTOR}
        if kind == DossierKind.CANDIDATE
        else {"profiles_wanted": [Role.TECHNICAL_DIRECTOR]}
    )
    return DossierInput(
        dossier_id=dossier_id or uuid.uuid4(),
        kind=kind,
        title=TITLES[kind],
        contact=Contact(name="Camille Martin", email="camille@example.org", language=Language.FR),
        submitted_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        **{**facts, **fields},
    )


def legacy_dossier(kind: DossierKind, dossier_id: uuid.UUID) -> DossierInput:
    """A dossier as started before the staff-driven stages (the committed histories' input)."""
    return DossierInput(
        dossier_id=dossier_id,
        kind=kind,
        title=TITLES[kind],
        contact=Contact(name="Camille Martin", email="camille@example.org", language=Language.FR),
        submitted_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )


def sample_round(
    kind: DossierKind, label: str, *, cutoff_in_days: int, now: datetime | None = None
) -> RoundRef:
    """A round whose cut-off is ``cutoff_in_days`` after ``now`` (default: the real clock).

    Far enough ahead that time skipped by other tests of the session never reaches it.
    """
    cutoff_at = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(days=cutoff_in_days)
    return RoundRef(
        round_id=f"7-{kind.value}-{label}",
        kind=kind,
        cutoff_at=cutoff_at,
        deliberation_at=cutoff_at + timedelta(days=10),
    )


class StandInPublisher:
    """Registered under the real activity's name; records every attempt's input.

    ``failing_attempts`` first attempts raise, to exercise the workflow's retry policy.
    """

    def __init__(self, failing_attempts: int = 0) -> None:
        self.calls: list[PublishStatusChangeInput] = []
        self._failing_attempts = failing_attempts

    @activity.defn(name=PUBLISH_STATUS_CHANGE)
    async def publish_status_change(self, input: PublishStatusChangeInput) -> None:
        self.calls.append(input)
        if len(self.calls) <= self._failing_attempts:
            raise ConnectionError("broker unavailable (stand-in)")


class StandInDeadlinePublisher:
    """Registered as ``publish_deadline_passed``; records the reminders."""

    def __init__(self) -> None:
        self.calls: list[PublishDeadlinePassedInput] = []

    @activity.defn(name=PUBLISH_DEADLINE_PASSED)
    async def publish_deadline_passed(self, input: PublishDeadlinePassedInput) -> None:
        self.calls.append(input)


class StandInPromotion:
    """``enrol_in_round`` / ``leave_round`` / ``reserve_seat`` / ``release_seat`` answering like
    the promotion.

    ``open_rounds`` may change during a test (a round opening); enrolment is idempotent per
    dossier like the real one: a dossier already in an open round gets it again.
    """

    def __init__(self, open_rounds: list[RoundRef] | None = None, seat_cap: int = 30) -> None:
        self.open_rounds = list(open_rounds or [])
        self.seat_cap = seat_cap
        self.seats: list[uuid.UUID] = []
        self.enrolments: list[EnrolInput] = []
        self.enrolled: dict[uuid.UUID, RoundRef] = {}
        self.seat_requests: list[SeatInput] = []
        self.releases: list[SeatInput] = []
        self.departures: list[LeaveRoundInput] = []

    @activity.defn(name=ENROL_IN_ROUND)
    async def enrol_in_round(self, input: EnrolInput) -> EnrolResult:
        self.enrolments.append(input)
        current = self.enrolled.get(input.dossier_id)
        if current in self.open_rounds:
            return EnrolResult(round=current)
        joinable = sorted(
            (
                round
                for round in self.open_rounds
                if round.kind == input.kind and round.cutoff_at > input.not_before
            ),
            key=lambda round: round.cutoff_at,
        )
        if not joinable:
            return EnrolResult(round=None)
        self.enrolled[input.dossier_id] = joinable[0]
        return EnrolResult(round=joinable[0])

    @activity.defn(name=LEAVE_ROUND)
    async def leave_round(self, input: LeaveRoundInput) -> None:
        self.departures.append(input)
        self.enrolled.pop(input.dossier_id, None)

    @activity.defn(name=RESERVE_SEAT)
    async def reserve_seat(self, input: SeatInput) -> SeatResult:
        self.seat_requests.append(input)
        granted = input.dossier_id in self.seats or len(self.seats) < self.seat_cap
        if granted and input.dossier_id not in self.seats:
            self.seats.append(input.dossier_id)
        taken = len(self.seats)
        return SeatResult(
            granted=granted,
            seats_taken=taken,
            seat_cap=self.seat_cap,
            message=f"{taken}/{self.seat_cap} seats taken",
        )

    @activity.defn(name=RELEASE_SEAT)
    async def release_seat(self, input: SeatInput) -> SeatResult:
        self.releases.append(input)
        if input.dossier_id in self.seats:
            self.seats.remove(input.dossier_id)
        taken = len(self.seats)
        return SeatResult(
            granted=True,
            seats_taken=taken,
            seat_cap=self.seat_cap,
            message=f"{taken}/{self.seat_cap} seats taken",
        )


class StandInDirectory:
    """``describe_dossier`` answering from snapshots the test provides."""

    def __init__(self) -> None:
        self.snapshots: dict[uuid.UUID, DossierSnapshot] = {}

    @activity.defn(name=DESCRIBE_DOSSIER)
    async def describe_dossier(self, input: DescribeDossierInput) -> DossierSnapshot:
        snapshot = self.snapshots.get(input.dossier_id)
        if snapshot is None:
            raise ApplicationError(
                f"dossier {input.dossier_id} not found", type="DossierNotFound", non_retryable=True
            )
        return snapshot


async def close_dossier(client: Client, handle: WorkflowHandle[Any, Any]) -> None:
    """Close a dossier still running, and its contract first, while the test's worker runs.

    The time-skipping server applies no parent-close policy and skips time only while no
    workflow or activity task is pending: a contract left running, or half-way through its
    cancellation when the worker stops, would stall every later test. So the contract is
    cancelled (terminating it stalled the server too, seen here) and awaited until closed.
    """
    contract_id = (await handle.query(SNAPSHOT, result_type=DossierSnapshot)).contract_id
    if contract_id is not None:
        contract = client.get_workflow_handle(contract_workflow_id(contract_id))
        if (await contract.describe()).status == WorkflowExecutionStatus.RUNNING:
            await contract.cancel()

            async def closed() -> bool:
                status = (await contract.describe()).status
                return status != WorkflowExecutionStatus.RUNNING

            assert await eventually(closed)
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate()


async def wait_until_idle_after_publishing(
    handle: WorkflowHandle[Any, Any],
) -> list[EventType.ValueType]:
    """Wait until the publish activity completed and the workflow handled it (now waiting).

    From then on the history cannot grow unless someone signals or updates the workflow, so
    what it holds is everything the workflow did on its own. Returns the history's event types.
    """

    async def idle_event_types() -> list[EventType.ValueType]:
        history = await handle.fetch_history()
        types = [event.event_type for event in history.events]
        published = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types
        idle = types[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        return types if published and idle else []

    return await eventually(idle_event_types)


WORKFLOWS_UNDER_TEST: list[type] = [*DOSSIER_WORKFLOWS.values(), *CONTRACT_WORKFLOWS]
"""The dossier workflows and the contract workflow a selected candidate starts as its child."""


@dataclass
class StandIns:
    """Every activity a dossier workflow calls, registered under the real names."""

    publisher: StandInPublisher = field(default_factory=StandInPublisher)
    deadlines: StandInDeadlinePublisher = field(default_factory=StandInDeadlinePublisher)
    promotion: StandInPromotion = field(default_factory=StandInPromotion)
    directory: StandInDirectory = field(default_factory=StandInDirectory)
    # A selected candidate's contract runs as a child workflow on the same worker.
    contracts: ContractStandIns = field(default_factory=ContractStandIns)

    def activities(self) -> list[Callable[..., Any]]:
        return [
            *self.contracts.activities(),
            self.publisher.publish_status_change,
            self.deadlines.publish_deadline_passed,
            self.promotion.enrol_in_round,
            self.promotion.leave_round,
            self.promotion.reserve_seat,
            self.promotion.release_seat,
            self.directory.describe_dossier,
        ]


# Events a completed workflow task writes after its WORKFLOW_TASK_COMPLETED: results of its
# commands, which need no further workflow task.
COMMAND_EVENTS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_TIMER_CANCELED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
}
ACTIVITY_CLOSED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}


async def wait_until_idle(handle: WorkflowHandle[Any, Any]) -> list[EventType.ValueType]:
    """Wait until the workflow has no activity in flight and no workflow task to run.

    From then on its history grows only on a timer, a signal or an update. Returns the
    history's event types.
    """

    async def idle_event_types() -> list[EventType.ValueType]:
        history = await handle.fetch_history()
        types = [event.event_type for event in history.events]
        if EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED not in types:
            return []
        last_task = len(types) - 1 - types[::-1].index(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        activities_in_flight = types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) - sum(
            types.count(closed) for closed in ACTIVITY_CLOSED
        )
        settled = all(event_type in COMMAND_EVENTS for event_type in types[last_task + 1 :])
        return types if settled and activities_in_flight == 0 else []

    return await eventually(idle_event_types)


async def act(
    handle: WorkflowHandle[Any, Any], action: str, actor: str = "staff-7", **payload: Any
) -> ActionResult:
    """Apply an action as the selection API will: the ``apply_action`` update."""
    result: ActionResult = await handle.execute_update(
        "apply_action",
        ActionRequest(action=action, actor=actor, payload=payload),
        result_type=ActionResult,
    )
    return result
