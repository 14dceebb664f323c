"""The staff-driven stages of the dossier workflows, on the time-skipping server.

Stand-ins answer for the publish, promotion and describe activities (registered by name); one
test uses the real ``describe_dossier`` against a real project workflow.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from tests.event_sinks import RecordedEvents
from tests.eventually import eventually
from tests.time_skipping import skip_time
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandIns,
    act,
    close_dossier,
    sample_dossier,
    sample_round,
    wait_until_idle,
)
from workflows.dossier.activities import DossierActivities
from workflows.dossier.models import (
    ROUND_OPENED,
    DossierInput,
    DossierSnapshot,
    dossier_workflow_id,
)
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow
from workflows.promotion.models import RoundRef

Status = DossierStatus
PROJECT, CANDIDATE = DossierKind.PROJECT, DossierKind.CANDIDATE
STAFF = "staff-7"  # the default actor of act()
Handle = WorkflowHandle[DossierWorkflow, None]


class Dossiers:
    """Starts dossiers on the test's worker and acts on them as staff would."""

    def __init__(self, env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns) -> None:
        self.env = env
        self.task_queue = task_queue
        self.stand_ins = stand_ins
        self.started: list[Handle] = []

    async def start(self, kind: DossierKind, **fields: Any) -> Handle:
        """Start a dossier and wait until it settled in its first stage."""
        dossier = sample_dossier(kind, **fields)
        handle = await self.start_input(dossier)
        await wait_until_idle(handle)
        return handle

    async def start_input(self, dossier: DossierInput) -> Handle:
        handle: Handle = await self.env.client.start_workflow(
            DOSSIER_WORKFLOWS[dossier.kind].run,
            dossier,
            id=dossier_workflow_id(dossier.dossier_id),
            task_queue=self.task_queue,
        )
        self.started.append(handle)
        return handle

    async def round(self, kind: DossierKind, label: str, cutoff_in_days: int) -> RoundRef:
        now = await self.env.get_current_time()
        return sample_round(kind, label, cutoff_in_days=cutoff_in_days, now=now)

    async def skip_past_cutoff(self, round: RoundRef) -> None:
        """Skip server time to just after the round's cut-off: the jury may decide."""
        now = await self.env.get_current_time()
        await skip_time(self.env, round.cutoff_at - now + timedelta(minutes=1))

    @property
    def events(self) -> list[DossierStatusChanged]:
        return [call.event for call in self.stand_ins.publisher.calls]

    def events_of(self, handle: Handle) -> list[DossierStatusChanged]:
        return [
            event for event in self.events if dossier_workflow_id(event.dossier_id) == handle.id
        ]


async def refusal(
    handle: Handle, action: str, actor: str = STAFF, **payload: Any
) -> ApplicationError:
    """The ApplicationError that refused (validator) or failed (handler) the action."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await act(handle, action, actor, **payload)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    return cause


async def snapshot(handle: Handle) -> DossierSnapshot:
    return await handle.query(DossierWorkflow.snapshot)


async def statuses(handle: Handle) -> list[DossierStatus]:
    return [entry.status for entry in (await snapshot(handle)).timeline]


async def until(handle: Handle, probe: Callable[[DossierSnapshot], bool]) -> DossierSnapshot:
    async def reached() -> DossierSnapshot | None:
        current = await snapshot(handle)
        return current if probe(current) else None

    result = await eventually(reached)
    assert result is not None
    return result


async def completed(handle: Handle) -> bool:
    await handle.result()
    return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def update_events(handle: Handle) -> list[EventType.ValueType]:
    history = await handle.fetch_history()
    return [
        event.event_type
        for event in history.events
        if event.event_type
        in {
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        }
    ]


WORKFLOW_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


def without_workflow_tasks(event_types: list[EventType.ValueType]) -> list[EventType.ValueType]:
    return [event_type for event_type in event_types if event_type not in WORKFLOW_TASK_EVENTS]


@pytest.fixture
async def dossiers(
    workflow_env: WorkflowEnvironment, task_queue: str, dossier_worker: StandIns
) -> AsyncIterator[Dossiers]:
    harness = Dossiers(workflow_env, task_queue, dossier_worker)
    yield harness
    for handle in harness.started:
        await close_dossier(workflow_env.client, handle)


async def scheduled_project(dossiers: Dossiers, **fields: Any) -> Handle:
    handle = await dossiers.start(PROJECT, **fields)
    result = await act(handle, "record_evaluation", outcome="eligible")
    assert result.status == Status.SCHEDULED
    return handle


async def pooled_candidate(dossiers: Dossiers, **fields: Any) -> Handle:
    handle = await dossiers.start(CANDIDATE, **fields)
    await act(handle, "record_review", outcome="shortlisted")
    await act(handle, "record_interview", outcome="pool")
    return handle


async def matched_candidate(dossiers: Dossiers) -> tuple[Any, DossierSnapshot]:
    """A candidate in the pool, matched with a project whose partnership is signed."""
    project = signed_project()
    dossiers.stand_ins.directory.snapshots[project.dossier_id] = project
    handle = await pooled_candidate(dossiers)
    await act(handle, "propose_match", project_dossier_id=str(project.dossier_id))
    return handle, project


def signed_project(
    wanted: list[Role] | None = None, status: DossierStatus = Status.PARTNERSHIP_SIGNED
) -> DossierSnapshot:
    return DossierSnapshot(
        dossier_id=uuid.uuid4(),
        kind=PROJECT,
        status=status,
        title="Détecter la fraude à la TVA",
        profiles_wanted=[Role.TECHNICAL_DIRECTOR] if wanted is None else wanted,
    )


class TestProjectEvaluation:
    async def test_an_eligible_project_joins_the_open_round_with_the_earliest_cutoff(
        self, dossiers: Dossiers
    ) -> None:
        first = await dossiers.round(PROJECT, "a", cutoff_in_days=200)
        later = await dossiers.round(PROJECT, "b", cutoff_in_days=260)
        candidates = await dossiers.round(CANDIDATE, "a", cutoff_in_days=100)
        dossiers.stand_ins.promotion.open_rounds = [later, candidates, first]
        handle = await dossiers.start(PROJECT)

        result = await act(handle, "record_evaluation", outcome="eligible", note="Solide")

        assert result.status == Status.SCHEDULED
        assert result.allowed_actions == ["record_defence", "withdraw"]
        current = await snapshot(handle)
        assert current.round == first
        assert await statuses(handle) == [
            Status.RECEIVED, Status.IN_EVALUATION, Status.ELIGIBLE, Status.SCHEDULED,
        ]  # fmt: skip
        eligible, scheduled = dossiers.events_of(handle)[-2:]
        assert (eligible.status, eligible.action, eligible.outcome) == (
            Status.ELIGIBLE, "record_evaluation", "eligible",
        )  # fmt: skip
        assert (eligible.actor, eligible.note) == (STAFF, "Solide")
        assert (scheduled.status, scheduled.previous_status) == (Status.SCHEDULED, Status.ELIGIBLE)
        assert (scheduled.action, scheduled.actor) == ("", "system")
        assert scheduled.details["round_id"] == first.round_id
        assert scheduled.details["deliberation_date"] == first.deliberation_at.date().isoformat()
        [enrolment] = dossiers.stand_ins.promotion.enrolments
        assert (enrolment.kind, enrolment.promotion_number) == (PROJECT, 7)
        # Asked once eligible (workflow time), before it was scheduled.
        assert current.timeline[-2].at <= enrolment.not_before <= current.timeline[-1].at

    async def test_an_outcome_is_refused_until_a_required_investigation_was_done(
        self, dossiers: Dossiers
    ) -> None:
        dossiers.stand_ins.promotion.open_rounds = [
            await dossiers.round(PROJECT, "a", cutoff_in_days=200)
        ]
        handle = await dossiers.start(PROJECT, requires_investigation=True)

        refused = await refusal(handle, "record_evaluation", outcome="eligible")
        requested = await act(handle, "request_investigation", note="Pertinence à confirmer")
        qualified = await act(handle, "record_investigation", outcome="qualified")
        evaluated = await act(handle, "record_evaluation", outcome="eligible")

        assert refused.type == "ActionNotAllowed"
        assert "requires an investigation" in refused.message
        assert "allowed actions: request_investigation, withdraw" in refused.message
        assert requested.status == Status.INVESTIGATION_REQUESTED
        assert requested.allowed_actions == ["record_investigation", "withdraw"]
        assert qualified.status == Status.IN_EVALUATION
        assert "record_evaluation" in qualified.allowed_actions
        assert evaluated.status == Status.SCHEDULED
        assert await statuses(handle) == [
            Status.RECEIVED, Status.IN_EVALUATION, Status.INVESTIGATION_REQUESTED,
            Status.IN_EVALUATION, Status.ELIGIBLE, Status.SCHEDULED,
        ]  # fmt: skip
        investigation = dossiers.events_of(handle)[3]
        assert (investigation.action, investigation.outcome) == (
            "record_investigation",
            "qualified",
        )

    async def test_a_project_not_qualified_by_its_investigation_is_ineligible_and_done(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(PROJECT, requires_investigation=True)
        await act(handle, "request_investigation")

        result = await act(
            handle, "record_investigation", outcome="not_qualified", note="Hors champ"
        )

        assert (result.status, result.allowed_actions) == (Status.INELIGIBLE, [])
        assert await completed(handle)
        last = dossiers.events_of(handle)[-1]
        assert (last.status, last.outcome, last.note) == (
            Status.INELIGIBLE, "not_qualified", "Hors champ",
        )  # fmt: skip

    async def test_an_ineligible_evaluation_is_final(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(PROJECT)

        result = await act(handle, "record_evaluation", outcome="ineligible")

        assert result.status == Status.INELIGIBLE
        assert await completed(handle)
        assert dossiers.stand_ins.promotion.enrolments == []
        # Never enrolled, but leaving is idempotent: a final dossier always asks.
        assert len(dossiers.stand_ins.promotion.departures) == 1


class TestProjectRounds:
    async def test_an_eligible_project_waits_for_a_round_then_is_scheduled_when_one_opens(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(PROJECT)

        waiting = await act(handle, "record_evaluation", outcome="eligible")
        in_eligible = await snapshot(handle)
        opened = await dossiers.round(PROJECT, "a", cutoff_in_days=200)
        other_kind = await dossiers.round(CANDIDATE, "a", cutoff_in_days=200)
        dossiers.stand_ins.promotion.open_rounds = [opened, other_kind]
        await handle.signal(ROUND_OPENED, other_kind)
        await handle.signal(ROUND_OPENED, opened)
        scheduled = await until(handle, lambda current: current.status == Status.SCHEDULED)

        assert waiting.status == Status.ELIGIBLE
        assert (in_eligible.round, in_eligible.deadline_at) == (None, None)
        assert scheduled.round == opened
        # Once when it became eligible, once on its own kind's round (the other is ignored).
        assert len(dossiers.stand_ins.promotion.enrolments) == 2
        assert dossiers.events_of(handle)[-1].details["round_id"] == opened.round_id

    async def test_a_defended_and_selected_project_signs_its_partnership(
        self, dossiers: Dossiers
    ) -> None:
        round = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        dossiers.stand_ins.promotion.open_rounds = [round]
        handle = await scheduled_project(dossiers)

        defended = await act(handle, "record_defence", note="Convaincant")
        defended_on = (await dossiers.env.get_current_time()).date()
        await dossiers.skip_past_cutoff(round)
        selected = await act(handle, "record_decision", decision="selected", note="Unanime")
        signed = await act(handle, "sign_partnership", signed_on="2026-05-04")

        assert defended.status == Status.DEFENDED
        assert defended.allowed_actions == ["withdraw"]  # until the round's cut-off
        assert selected.status == Status.SELECTED
        assert (signed.status, signed.allowed_actions) == (Status.PARTNERSHIP_SIGNED, ["withdraw"])
        defence, decision, partnership = dossiers.events_of(handle)[-3:]
        assert defence.details["defence_date"] == defended_on.isoformat()
        assert defence.details["round_id"] == decision.details["round_id"] == round.round_id
        assert decision.details["deliberation_date"] == round.deliberation_at.date().isoformat()
        assert (decision.outcome, decision.note) == ("selected", "Unanime")
        assert partnership.details == {"signed_on": "2026-05-04"}
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert dossiers.stand_ins.promotion.departures == []  # not final: still in its round

    async def test_a_project_not_selected_is_done_and_leaves_its_round(
        self, dossiers: Dossiers
    ) -> None:
        round = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        dossiers.stand_ins.promotion.open_rounds = [round]
        handle = await scheduled_project(dossiers)
        await act(handle, "record_defence")
        await dossiers.skip_past_cutoff(round)

        result = await act(handle, "record_decision", decision="not_selected")

        assert result.status == Status.NOT_SELECTED
        assert await completed(handle)
        [departure] = dossiers.stand_ins.promotion.departures
        assert (departure.promotion_number, departure.dossier_id) == (
            7, (await snapshot(handle)).dossier_id,
        )  # fmt: skip

    async def test_a_deferred_project_joins_the_round_after_the_current_cutoff(
        self, dossiers: Dossiers
    ) -> None:
        current = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        next_round = await dossiers.round(PROJECT, "b", cutoff_in_days=60)
        dossiers.stand_ins.promotion.open_rounds = [current, next_round]
        handle = await scheduled_project(dossiers)
        await act(handle, "record_defence")
        # The current round closed its list at cut-off: only the next one is open now.
        await dossiers.skip_past_cutoff(current)
        dossiers.stand_ins.promotion.open_rounds = [next_round]

        result = await act(handle, "record_decision", decision="deferred", note="Revenir")

        assert result.status == Status.SCHEDULED
        assert (await snapshot(handle)).round == next_round
        assert dossiers.stand_ins.promotion.enrolments[-1].not_before == current.cutoff_at
        deferral = dossiers.events_of(handle)[-1]
        assert (deferral.status, deferral.previous_status) == (Status.SCHEDULED, Status.DEFENDED)
        assert (deferral.action, deferral.outcome, deferral.note) == (
            "record_decision", "deferred", "Revenir",
        )  # fmt: skip
        assert deferral.details["round_id"] == next_round.round_id
        assert deferral.details["deferred_from_round_id"] == current.round_id

    async def test_a_deferred_project_without_a_next_round_waits_in_eligible(
        self, dossiers: Dossiers
    ) -> None:
        current = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        dossiers.stand_ins.promotion.open_rounds = [current]
        handle = await scheduled_project(dossiers)
        await act(handle, "record_defence")

        # Its round is deliberating: no round is open.
        await dossiers.skip_past_cutoff(current)
        dossiers.stand_ins.promotion.open_rounds = []

        result = await act(handle, "record_decision", decision="deferred")
        waiting = await snapshot(handle)
        next_round = await dossiers.round(PROJECT, "b", cutoff_in_days=60)
        dossiers.stand_ins.promotion.open_rounds = [next_round]
        await handle.signal(ROUND_OPENED, next_round)
        rescheduled = await until(handle, lambda now: now.status == Status.SCHEDULED)

        assert result.status == Status.ELIGIBLE
        assert (waiting.round, waiting.deadline_at) == (None, None)
        assert dossiers.events_of(handle)[-2].outcome == "deferred"
        assert rescheduled.round == next_round
        enrolments = dossiers.stand_ins.promotion.enrolments
        # Once eligible, once deferred, once the round opened: never twice for one step.
        assert len(enrolments) == 3
        assert enrolments[-1].not_before == current.cutoff_at


class TestJuryDecisionAfterTheCutoff:
    async def test_a_decision_is_refused_without_a_trace_until_the_cutoff_then_accepted(
        self, dossiers: Dossiers
    ) -> None:
        round = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        dossiers.stand_ins.promotion.open_rounds = [round]
        handle = await scheduled_project(dossiers)
        defended = await act(handle, "record_defence")  # defences happen while it is open
        updates_before = await update_events(handle)
        published_before = len(dossiers.events)

        refused = await refusal(handle, "record_decision", decision="selected")
        updates_after_refusal = await update_events(handle)
        before_cutoff = await snapshot(handle)
        await dossiers.skip_past_cutoff(round)
        # Nobody acted: the dossier woke up at the cut-off by itself.
        after_cutoff = await until(
            handle, lambda current: "record_decision" in current.allowed_actions
        )
        selected = await act(handle, "record_decision", decision="selected")

        assert defended.allowed_actions == ["withdraw"]
        assert refused.type == "ActionNotAllowed"
        assert refused.message == (
            "record_decision is not allowed in status defended: "
            f"round {round.round_id} is open until {round.cutoff_at.isoformat()}; "
            "decisions are recorded once it deliberates; allowed actions: withdraw"
        )
        assert refused.details[0] == {"status": "defended", "allowed_actions": ["withdraw"]}
        assert (before_cutoff.status, before_cutoff.allowed_actions) == (
            Status.DEFENDED, ["withdraw"],
        )  # fmt: skip
        assert after_cutoff.allowed_actions == ["record_decision", "withdraw"]
        assert after_cutoff.timeline == before_cutoff.timeline
        assert selected.status == Status.SELECTED
        # The refusal left nothing: no update in the history, no event published.
        assert updates_after_refusal == updates_before
        assert [event.status for event in dossiers.events[published_before:]] == [Status.SELECTED]

    async def test_the_defence_is_allowed_in_scheduled_before_and_after_the_cutoff(
        self, dossiers: Dossiers
    ) -> None:
        round = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
        dossiers.stand_ins.promotion.open_rounds = [round]
        before = await scheduled_project(dossiers)
        after = await scheduled_project(dossiers)
        defended_before = await act(before, "record_defence")
        await dossiers.skip_past_cutoff(round)

        scheduled_after = await snapshot(after)
        defended_after = await act(after, "record_defence")

        assert defended_before.status == Status.DEFENDED
        assert scheduled_after.allowed_actions == ["record_defence", "withdraw"]
        assert (defended_after.status, defended_after.allowed_actions) == (
            Status.DEFENDED, ["record_decision", "withdraw"],
        )  # fmt: skip


class TestCandidateReview:
    async def test_a_candidate_joins_the_open_candidate_round_on_receipt(
        self, dossiers: Dossiers
    ) -> None:
        round = await dossiers.round(CANDIDATE, "a", cutoff_in_days=150)
        dossiers.stand_ins.promotion.open_rounds = [round]

        handle = await dossiers.start(CANDIDATE)

        current = await snapshot(handle)
        assert (current.status, current.round) == (Status.IN_REVIEW, round)
        assert current.role == Role.TECHNICAL_DIRECTOR
        assert [event.status for event in dossiers.events_of(handle)] == [
            Status.RECEIVED, Status.IN_REVIEW,
        ]  # fmt: skip

    async def test_without_an_open_round_the_candidate_is_reviewed_and_enrols_later(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(CANDIDATE)
        before = await snapshot(handle)
        round = await dossiers.round(CANDIDATE, "a", cutoff_in_days=150)
        dossiers.stand_ins.promotion.open_rounds = [round]

        await handle.signal(ROUND_OPENED, round)
        enrolled = await until(handle, lambda current: current.round is not None)

        assert (before.status, before.round) == (Status.IN_REVIEW, None)
        assert (enrolled.status, enrolled.round) == (Status.IN_REVIEW, round)

    async def test_a_shortlisted_candidate_is_interviewed_then_pooled(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(CANDIDATE)

        interview = await act(handle, "record_review", outcome="shortlisted", note="Bon profil")
        pooled = await act(handle, "record_interview", outcome="pool")

        assert interview.status == Status.INTERVIEW
        assert interview.allowed_actions == ["record_interview", "withdraw"]
        assert pooled.status == Status.IN_POOL
        assert pooled.allowed_actions == ["propose_match", "withdraw"]
        current = await snapshot(handle)
        review = current.timeline[2]
        assert (review.action, review.outcome, review.actor, review.note) == (
            "record_review", "shortlisted", STAFF, "Bon profil",
        )  # fmt: skip

    @pytest.mark.parametrize("stage", ["review", "interview"])
    async def test_a_rejected_candidate_is_done(self, dossiers: Dossiers, stage: str) -> None:
        handle = await dossiers.start(CANDIDATE)
        if stage == "interview":
            await act(handle, "record_review", outcome="shortlisted")

        result = await act(handle, f"record_{stage}", outcome="rejected")

        assert (result.status, result.allowed_actions) == (Status.REJECTED, [])
        assert await completed(handle)
        [departure] = dossiers.stand_ins.promotion.departures
        assert departure.dossier_id == (await snapshot(handle)).dossier_id


class TestCandidateMatching:
    async def test_a_pooled_candidate_is_matched_with_a_signed_project_wanting_the_role(
        self, dossiers: Dossiers
    ) -> None:
        project = signed_project()
        dossiers.stand_ins.directory.snapshots[project.dossier_id] = project
        handle = await pooled_candidate(dossiers)

        result = await act(handle, "propose_match", project_dossier_id=str(project.dossier_id))

        assert result.status == Status.MATCHED
        assert result.allowed_actions == ["record_joint_interview", "withdraw"]
        assert (await snapshot(handle)).matched_project_id == project.dossier_id
        match = dossiers.events_of(handle)[-1]
        assert match.details == {
            "project_dossier_id": str(project.dossier_id),
            "project_title": "Détecter la fraude à la TVA",
        }

    @pytest.mark.parametrize(
        ("project", "reason"),
        [
            (signed_project(status=Status.SELECTED), "needs its partnership signed"),
            (signed_project(wanted=[Role.PRODUCT_DIRECTOR]), "does not want a technical_director"),
            (None, "not found"),
        ],
        ids=["not-signed", "role-not-wanted", "unknown-project"],
    )
    async def test_a_match_the_project_cannot_take_is_refused_and_changes_nothing(
        self, dossiers: Dossiers, project: DossierSnapshot | None, reason: str
    ) -> None:
        project_id = project.dossier_id if project is not None else uuid.uuid4()
        if project is not None:
            dossiers.stand_ins.directory.snapshots[project_id] = project
        handle = await pooled_candidate(dossiers)
        published_before = len(dossiers.events)

        refused = await refusal(handle, "propose_match", project_dossier_id=str(project_id))

        assert refused.type == "ActionRefused"
        assert reason in refused.message
        current = await snapshot(handle)
        assert (current.status, current.matched_project_id) == (Status.IN_POOL, None)
        assert len(dossiers.events) == published_before

    async def test_a_match_is_checked_against_the_real_project_workflow(
        self, workflow_env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns
    ) -> None:
        # The real describe_dossier queries the project's workflow (it puts no event).
        real = DossierActivities(RecordedEvents(), workflow_env.client)
        activities = [
            activity
            for activity in stand_ins.activities()
            if activity != stand_ins.directory.describe_dossier
        ]
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS_UNDER_TEST,
            activities=[*activities, real.describe_dossier],
        ):
            dossiers = Dossiers(workflow_env, task_queue, stand_ins)
            round = await dossiers.round(PROJECT, "a", cutoff_in_days=3)
            stand_ins.promotion.open_rounds = [round]
            project = await scheduled_project(dossiers)
            candidate = await pooled_candidate(dossiers)
            project_id = (await snapshot(project)).dossier_id

            too_early = await refusal(
                candidate, "propose_match", project_dossier_id=str(project_id)
            )
            await act(project, "record_defence")
            await dossiers.skip_past_cutoff(round)
            await act(project, "record_decision", decision="selected")
            await act(project, "sign_partnership", signed_on="2026-05-04")
            matched = await act(candidate, "propose_match", project_dossier_id=str(project_id))

            assert too_early.type == "ActionRefused"
            assert "status scheduled" in too_early.message
            assert matched.status == Status.MATCHED
            assert (
                dossiers.events_of(candidate)[-1].details["project_title"]
                == "Signalement simplifié"
            )
            for handle in (project, candidate):
                await close_dossier(workflow_env.client, handle)

    async def test_a_selection_at_the_joint_interview_takes_a_seat(
        self, dossiers: Dossiers
    ) -> None:
        handle, project = await matched_candidate(dossiers)

        result = await act(handle, "record_joint_interview", outcome="selected", note="Bienvenue")

        assert (result.status, result.allowed_actions) == (Status.SELECTED, ["withdraw"])
        dossier_id = (await snapshot(handle)).dossier_id
        assert dossiers.stand_ins.promotion.seats == [dossier_id]
        [request] = dossiers.stand_ins.promotion.seat_requests
        assert (request.dossier_id, request.promotion_number) == (dossier_id, 7)
        selection = dossiers.events_of(handle)[-1]
        assert (selection.outcome, selection.details["seats"]) == ("selected", "1/30")

    async def test_a_selection_without_a_seat_left_fails_and_the_candidate_stays_matched(
        self, dossiers: Dossiers
    ) -> None:
        dossiers.stand_ins.promotion.seat_cap = 1
        dossiers.stand_ins.promotion.seats = [uuid.uuid4()]
        handle, project = await matched_candidate(dossiers)
        published_before = len(dossiers.events)

        refused = await refusal(handle, "record_joint_interview", outcome="selected")

        assert (refused.type, refused.message) == ("SeatsExhausted", "1/1 seats taken")
        assert (await snapshot(handle)).status == Status.MATCHED
        assert len(dossiers.events) == published_before
        back = await act(handle, "record_joint_interview", outcome="back_to_pool")
        assert back.status == Status.IN_POOL

    async def test_a_candidate_sent_back_to_the_pool_can_be_matched_again(
        self, dossiers: Dossiers
    ) -> None:
        handle, project = await matched_candidate(dossiers)

        result = await act(handle, "record_joint_interview", outcome="back_to_pool", note="Autre")

        assert result.status == Status.IN_POOL
        assert (await snapshot(handle)).matched_project_id is None
        assert dossiers.events_of(handle)[-1].outcome == "back_to_pool"
        again = await act(handle, "propose_match", project_dossier_id=str(project.dossier_id))
        assert again.status == Status.MATCHED


class TestWithdrawal:
    @pytest.mark.parametrize(
        ("kind", "steps"),
        [
            (CANDIDATE, []),
            (CANDIDATE, [("record_review", {"outcome": "shortlisted"})]),
            (PROJECT, []),
            (PROJECT, [("request_investigation", {})]),
            (PROJECT, [("record_evaluation", {"outcome": "eligible"})]),
        ],
        ids=["in_review", "interview", "in_evaluation", "investigation_requested", "eligible"],
    )
    async def test_the_applicant_withdraws_at_a_stage_and_the_dossier_is_done(
        self, dossiers: Dossiers, kind: DossierKind, steps: list[tuple[str, dict[str, Any]]]
    ) -> None:
        handle = await dossiers.start(kind)
        for action, payload in steps:
            await act(handle, action, **payload)
        stage = (await snapshot(handle)).status

        result = await act(handle, "withdraw", actor="applicant")

        assert (result.status, result.allowed_actions) == (Status.WITHDRAWN, [])
        assert await completed(handle)
        withdrawal = dossiers.events_of(handle)[-1]
        assert (withdrawal.previous_status, withdrawal.action, withdrawal.actor) == (
            stage, "withdraw", "applicant",
        )  # fmt: skip
        # Final: it leaves its promotion's rounds (or stops waiting for one).
        [departure] = dossiers.stand_ins.promotion.departures
        assert departure.dossier_id == withdrawal.dossier_id

    async def test_a_selected_candidate_who_withdraws_gives_the_seat_back(
        self, dossiers: Dossiers
    ) -> None:
        handle, project = await matched_candidate(dossiers)
        await act(handle, "record_joint_interview", outcome="selected")

        await act(handle, "withdraw", actor="applicant")

        assert await completed(handle)
        dossier_id = (await snapshot(handle)).dossier_id
        assert [release.dossier_id for release in dossiers.stand_ins.promotion.releases] == [
            dossier_id
        ]
        assert dossiers.stand_ins.promotion.seats == []

    async def test_a_final_dossier_cannot_be_withdrawn(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(CANDIDATE)
        await act(handle, "record_review", outcome="rejected")
        assert await completed(handle)

        # The workflow completed with its final status: the server refuses any update.
        with pytest.raises(RPCError) as refused:
            await act(handle, "withdraw", actor="applicant")

        assert refused.value.status == RPCStatusCode.NOT_FOUND

        assert (await snapshot(handle)).status == Status.REJECTED


class TestValidator:
    async def test_an_action_not_allowed_now_is_refused_without_a_trace_in_history(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(CANDIDATE)
        history_before = await wait_until_idle(handle)
        before = await snapshot(handle)

        refused = await refusal(handle, "record_interview", outcome="pool")

        assert refused.type == "ActionNotAllowed"
        assert "status in_review" in refused.message
        assert "allowed actions: record_review, withdraw" in refused.message
        assert refused.details[0] == {
            "status": "in_review",
            "allowed_actions": ["record_review", "withdraw"],
        }
        # Nothing the workflow did: the time-skipping server still writes the workflow task
        # that ran the validator, where a real server drops it (see the integration test).
        assert without_workflow_tasks(await wait_until_idle(handle)) == without_workflow_tasks(
            history_before
        )
        assert await update_events(handle) == []
        assert await snapshot(handle) == before

    async def test_an_unknown_action_is_refused_as_such(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(PROJECT)

        refused = await refusal(handle, "promote")

        assert refused.type == "UnknownAction"
        assert "'promote'" in refused.message
        assert await update_events(handle) == []

    async def test_an_action_of_the_other_kind_is_not_allowed(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(PROJECT)

        refused = await refusal(handle, "record_review", outcome="shortlisted")

        assert refused.type == "ActionNotAllowed"
        assert "does not apply to project dossiers" in refused.message

    async def test_a_bad_body_is_refused_naming_the_fields(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(PROJECT)

        refused = await refusal(handle, "record_evaluation", outcome="maybe", score=3)

        assert refused.type == "InvalidActionBody"
        assert "outcome:" in refused.message and "score:" in refused.message
        fields = [error["field"] for error in refused.details[0]["errors"]]
        assert fields == ["outcome", "score"]
        assert (await snapshot(handle)).status == Status.IN_EVALUATION
        assert await update_events(handle) == []

    async def test_an_accepted_action_is_recorded_as_an_update(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(PROJECT)

        await act(handle, "request_investigation")

        assert await update_events(handle) == [
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        ]


class TestDeadlines:
    async def test_a_stage_left_waiting_is_flagged_overdue_once_then_cleared_when_it_moves_on(
        self, dossiers: Dossiers
    ) -> None:
        handle = await dossiers.start(PROJECT)
        entered = await snapshot(handle)
        reminders = dossiers.stand_ins.deadlines.calls

        await skip_time(dossiers.env, timedelta(days=15))
        overdue = await until(handle, lambda current: current.overdue)
        await skip_time(dossiers.env, timedelta(days=30))
        await wait_until_idle(handle)
        reminders_after_more_time = len(reminders)
        moved_on = await act(handle, "request_investigation")
        moved = await snapshot(handle)

        assert entered.deadline_at == entered.timeline[-1].at + timedelta(days=14)
        assert not entered.overdue
        assert overdue.status == Status.IN_EVALUATION
        assert reminders_after_more_time == 1
        [reminder] = [call.event for call in reminders]
        assert (reminder.status, reminder.deadline_at) == (
            Status.IN_EVALUATION,
            entered.deadline_at,
        )
        assert reminder.dossier_id == entered.dossier_id
        assert moved_on.status == Status.INVESTIGATION_REQUESTED
        assert not moved.overdue
        assert moved.deadline_at == moved.timeline[-1].at + timedelta(days=14)

        await skip_time(dossiers.env, timedelta(days=15))
        overdue_again = await until(handle, lambda current: current.overdue)
        assert overdue_again.status == Status.INVESTIGATION_REQUESTED
        await wait_until_idle(handle)
        assert [call.event.status for call in reminders] == [
            Status.IN_EVALUATION, Status.INVESTIGATION_REQUESTED,
        ]  # fmt: skip
        assert len({call.event.event_id for call in reminders}) == 2

    async def test_a_stage_acted_on_in_time_is_never_overdue(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(CANDIDATE, stage_deadline_days=3)
        await skip_time(dossiers.env, timedelta(days=2))

        await act(handle, "record_review", outcome="shortlisted")
        await skip_time(dossiers.env, timedelta(days=2))
        current = await snapshot(handle)

        assert current.status == Status.INTERVIEW
        assert not current.overdue
        assert dossiers.stand_ins.deadlines.calls == []

    async def test_a_stage_waiting_for_no_one_has_no_deadline(self, dossiers: Dossiers) -> None:
        handle = await dossiers.start(CANDIDATE)
        await act(handle, "record_review", outcome="shortlisted")
        await act(handle, "record_interview", outcome="pool")

        await skip_time(dossiers.env, timedelta(days=60))
        current = await snapshot(handle)

        assert (current.status, current.deadline_at, current.overdue) == (
            Status.IN_POOL, None, False,
        )  # fmt: skip
        assert dossiers.stand_ins.deadlines.calls == []
