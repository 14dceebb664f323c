"""The dossier state machines as pure rules: what is allowed where, and where it leads."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from workflows.action_rules import ActionDoesNotApply, InvalidBody, NoSuchAction
from workflows.dossier import rules
from workflows.dossier.models import ACTION_BODIES, Action, DossierSnapshot
from workflows.dossier.rules import (
    DossierFacts,
    Effect,
    Situation,
    admit,
    allowed_actions,
)
from workflows.promotion.models import RoundRef

Status = DossierStatus
PROJECT, CANDIDATE = DossierKind.PROJECT, DossierKind.CANDIDATE
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ROUND = RoundRef(
    round_id="7-project-2026-04",
    kind=PROJECT,
    cutoff_at=datetime(2026, 4, 1, tzinfo=UTC),
    deliberation_at=datetime(2026, 4, 15, 14, tzinfo=UTC),
)
DELIBERATING = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
"""A time after ROUND's cut-off, before its deliberation."""


def decide(
    kind: DossierKind,
    status: DossierStatus,
    action: str,
    payload: dict[str, object] | None = None,
    facts: DossierFacts | None = None,
    now: datetime = NOW,
) -> rules.Decision:
    facts = facts or DossierFacts()
    rule, body = admit(kind, status, facts, action, payload or {}, now)
    return rule.decide(body, Situation(status=status, facts=facts, now=now))


def project_snapshot(
    status: DossierStatus = Status.PARTNERSHIP_SIGNED,
    wanted: list[Role] | None = None,
    kind: DossierKind = PROJECT,
) -> DossierSnapshot:
    return DossierSnapshot(
        dossier_id=uuid.uuid4(),
        kind=kind,
        status=status,
        profiles_wanted=[Role.TECHNICAL_DIRECTOR] if wanted is None else wanted,
    )


class TestActionBodies:
    def test_every_action_has_a_body_model_that_refuses_unknown_fields(self) -> None:
        assert set(ACTION_BODIES) == {action.value for action in Action}
        for model in ACTION_BODIES.values():
            assert model.model_config.get("extra") == "forbid"

    def test_every_body_field_is_described_for_the_openapi_document(self) -> None:
        for model in ACTION_BODIES.values():
            for name, field in model.model_fields.items():
                assert field.description, f"{model.__name__}.{name} has no description"

    def test_every_action_of_the_tables_has_its_body(self) -> None:
        for table in rules.TRANSITIONS.values():
            for name, rule in table.items():
                assert ACTION_BODIES[name] is rule.body


class TestProjectPath:
    def test_in_evaluation_allows_an_outcome_when_no_investigation_is_required(self) -> None:
        assert allowed_actions(PROJECT, Status.IN_EVALUATION, DossierFacts(), NOW) == [
            "request_investigation",
            "record_evaluation",
            "withdraw",
        ]

    def test_an_outcome_waits_for_a_required_investigation(self) -> None:
        facts = DossierFacts(requires_investigation=True)

        assert "record_evaluation" not in allowed_actions(PROJECT, Status.IN_EVALUATION, facts, NOW)
        with pytest.raises(ActionDoesNotApply, match="requires an investigation") as refused:
            admit(
                PROJECT,
                Status.IN_EVALUATION,
                facts,
                "record_evaluation",
                {"outcome": "eligible"},
                NOW,
            )
        assert refused.value.allowed == ["request_investigation", "withdraw"]

    def test_a_qualified_investigation_returns_to_evaluation_and_unlocks_the_outcome(self) -> None:
        facts = DossierFacts(requires_investigation=True)

        decision = decide(
            PROJECT, Status.INVESTIGATION_REQUESTED, "record_investigation",
            {"outcome": "qualified", "note": "Relevant"}, facts,
        )  # fmt: skip

        assert (decision.status, decision.outcome, decision.note) == (
            Status.IN_EVALUATION,
            "qualified",
            "Relevant",
        )
        assert decision.facts == DossierFacts(requires_investigation=True, investigation_done=True)
        assert "record_evaluation" in allowed_actions(
            PROJECT, Status.IN_EVALUATION, decision.facts, NOW
        )

    @pytest.mark.parametrize(
        ("status", "action", "payload", "expected"),
        [
            (Status.IN_EVALUATION, "request_investigation", {}, Status.INVESTIGATION_REQUESTED),
            (Status.INVESTIGATION_REQUESTED, "record_investigation",
             {"outcome": "not_qualified"}, Status.INELIGIBLE),
            (Status.IN_EVALUATION, "record_evaluation", {"outcome": "eligible"}, Status.ELIGIBLE),
            (Status.IN_EVALUATION, "record_evaluation", {"outcome": "ineligible"},
             Status.INELIGIBLE),
            (Status.SCHEDULED, "record_defence", {}, Status.DEFENDED),
            (Status.DEFENDED, "record_decision", {"decision": "selected"}, Status.SELECTED),
            (Status.DEFENDED, "record_decision", {"decision": "not_selected"},
             Status.NOT_SELECTED),
            (Status.SELECTED, "sign_partnership", {"signed_on": "2026-05-04"},
             Status.PARTNERSHIP_SIGNED),
            (Status.PARTNERSHIP_SIGNED, "withdraw", {}, Status.WITHDRAWN),
        ],
    )  # fmt: skip
    def test_each_action_leads_to_its_status(
        self, status: DossierStatus, action: str, payload: dict[str, object], expected
    ) -> None:
        assert decide(PROJECT, status, action, payload).status == expected

    def test_a_deferral_asks_for_the_next_round_and_keeps_the_previous_one_in_details(
        self,
    ) -> None:
        decision = decide(
            PROJECT, Status.DEFENDED, "record_decision", {"decision": "deferred"},
            DossierFacts(round=ROUND), DELIBERATING,
        )  # fmt: skip

        assert decision.effect == Effect.ENROL_IN_NEXT_ROUND
        assert decision.outcome == "deferred"
        assert decision.details["deferred_from_round_id"] == ROUND.round_id
        assert rules.deferred_status(joined_a_round=True) == Status.SCHEDULED
        assert rules.deferred_status(joined_a_round=False) == Status.ELIGIBLE

    def test_the_defence_and_the_decision_carry_the_round_and_their_dates(self) -> None:
        facts = DossierFacts(round=ROUND)

        defence = decide(PROJECT, Status.SCHEDULED, "record_defence", {}, facts)
        decision = decide(
            PROJECT, Status.DEFENDED, "record_decision", {"decision": "selected"}, facts,
            DELIBERATING,
        )  # fmt: skip
        signed = decide(PROJECT, Status.SELECTED, "sign_partnership", {"signed_on": "2026-05-04"})

        assert defence.details["defence_date"] == "2026-03-02"
        assert defence.details["round_id"] == decision.details["round_id"] == ROUND.round_id
        assert decision.details["deliberation_date"] == "2026-04-15"
        assert signed.details == {"signed_on": date(2026, 5, 4).isoformat()}

    def test_only_an_eligible_project_joins_a_round_and_is_then_scheduled(self) -> None:
        assert rules.needs_round(PROJECT, Status.ELIGIBLE, has_round=False)
        assert not rules.needs_round(PROJECT, Status.IN_EVALUATION, has_round=False)
        assert rules.status_once_enrolled(PROJECT, Status.ELIGIBLE) == Status.SCHEDULED


class TestJuryDecisionAfterTheCutoff:
    def test_a_decision_while_the_round_is_open_is_refused_naming_the_round_and_its_cutoff(
        self,
    ) -> None:
        facts = DossierFacts(round=ROUND)

        with pytest.raises(ActionDoesNotApply) as refused:
            admit(
                PROJECT, Status.DEFENDED, facts, "record_decision", {"decision": "selected"},
                ROUND.cutoff_at - timedelta(seconds=1),
            )  # fmt: skip

        assert str(refused.value) == (
            "record_decision is not allowed in status defended: round 7-project-2026-04 is "
            "open until 2026-04-01T00:00:00+00:00; decisions are recorded once it "
            "deliberates; allowed actions: withdraw"
        )
        assert (refused.value.status, refused.value.allowed) == (Status.DEFENDED, ["withdraw"])
        assert allowed_actions(PROJECT, Status.DEFENDED, facts, NOW) == ["withdraw"]

    @pytest.mark.parametrize(
        "now",
        [ROUND.cutoff_at, DELIBERATING, ROUND.deliberation_at + timedelta(days=30)],
        ids=["at-cutoff", "deliberating", "closed"],
    )
    def test_a_decision_is_allowed_from_the_cutoff_on(self, now: datetime) -> None:
        facts = DossierFacts(round=ROUND)

        assert allowed_actions(PROJECT, Status.DEFENDED, facts, now) == [
            "record_decision",
            "withdraw",
        ]
        decision = decide(
            PROJECT, Status.DEFENDED, "record_decision", {"decision": "not_selected"}, facts, now
        )
        assert decision.status == Status.NOT_SELECTED

    @pytest.mark.parametrize("now", [NOW, DELIBERATING], ids=["open", "deliberating"])
    def test_the_defence_is_allowed_whether_the_round_is_open_or_not(self, now: datetime) -> None:
        facts = DossierFacts(round=ROUND)

        assert allowed_actions(PROJECT, Status.SCHEDULED, facts, now) == [
            "record_defence",
            "withdraw",
        ]
        assert decide(PROJECT, Status.SCHEDULED, "record_defence", {}, facts, now).status == (
            Status.DEFENDED
        )

    def test_the_allowed_actions_of_a_defended_project_change_at_its_rounds_cutoff(
        self,
    ) -> None:
        facts = DossierFacts(round=ROUND)
        change_at = rules.allowed_actions_change_at

        assert change_at(PROJECT, Status.DEFENDED, facts, NOW) == ROUND.cutoff_at
        assert change_at(PROJECT, Status.DEFENDED, facts, ROUND.cutoff_at) is None
        assert change_at(PROJECT, Status.DEFENDED, DossierFacts(), NOW) is None
        for kind in (PROJECT, CANDIDATE):
            for status in rules.STATUSES[kind]:
                if (kind, status) != (PROJECT, Status.DEFENDED):
                    assert change_at(kind, status, facts, NOW) is None, (kind, status)


class TestCandidatePath:
    @pytest.mark.parametrize(
        ("status", "action", "payload", "expected", "outcome"),
        [
            (Status.IN_REVIEW, "record_review", {"outcome": "shortlisted"}, Status.INTERVIEW,
             "shortlisted"),
            (Status.IN_REVIEW, "record_review", {"outcome": "rejected"}, Status.REJECTED,
             "rejected"),
            (Status.INTERVIEW, "record_interview", {"outcome": "pool"}, Status.IN_POOL, "pool"),
            (Status.INTERVIEW, "record_interview", {"outcome": "rejected"}, Status.REJECTED,
             "rejected"),
            (Status.MATCHED, "record_joint_interview", {"outcome": "back_to_pool"},
             Status.IN_POOL, "back_to_pool"),
        ],
    )  # fmt: skip
    def test_each_action_leads_to_its_status(
        self, status, action, payload, expected, outcome
    ) -> None:
        decision = decide(CANDIDATE, status, action, payload)

        assert (decision.status, decision.outcome, decision.effect) == (expected, outcome, None)

    def test_a_match_checks_the_project_and_a_selection_reserves_a_seat(self) -> None:
        project_id = uuid.uuid4()

        match = decide(
            CANDIDATE, Status.IN_POOL, "propose_match", {"project_dossier_id": str(project_id)}
        )
        selection = decide(
            CANDIDATE, Status.MATCHED, "record_joint_interview", {"outcome": "selected"}
        )

        assert (match.status, match.effect) == (Status.MATCHED, Effect.CHECK_PROJECT)
        assert match.details == {"project_dossier_id": str(project_id)}
        assert (selection.status, selection.effect) == (Status.SELECTED, Effect.RESERVE_SEAT)

    def test_a_candidate_keeps_trying_to_join_a_round_until_it_has_one(self) -> None:
        assert rules.needs_round(CANDIDATE, Status.IN_REVIEW, has_round=False)
        assert rules.needs_round(CANDIDATE, Status.IN_POOL, has_round=False)
        assert not rules.needs_round(CANDIDATE, Status.IN_REVIEW, has_round=True)
        assert not rules.needs_round(CANDIDATE, Status.REJECTED, has_round=False)
        assert rules.status_once_enrolled(CANDIDATE, Status.IN_REVIEW) == Status.IN_REVIEW


class TestMatchRefusal:
    def test_a_signed_project_wanting_the_role_can_be_matched(self) -> None:
        project = project_snapshot()
        assert rules.match_refusal(Role.TECHNICAL_DIRECTOR, project.dossier_id, project) is None

    @pytest.mark.parametrize(
        ("project", "reason"),
        [
            (project_snapshot(status=Status.SELECTED), "partnership signed"),
            (
                project_snapshot(wanted=[Role.PRODUCT_DIRECTOR]),
                "does not want a technical_director",
            ),
            (project_snapshot(kind=CANDIDATE), "not a project dossier"),
        ],
    )
    def test_any_other_project_is_refused_with_the_reason(
        self, project: DossierSnapshot, reason: str
    ) -> None:
        refusal = rules.match_refusal(Role.TECHNICAL_DIRECTOR, project.dossier_id, project)
        assert refusal is not None and reason in refusal


class TestWithdrawal:
    @pytest.mark.parametrize("kind", [PROJECT, CANDIDATE])
    def test_withdraw_is_allowed_at_every_stage_but_the_final_ones(self, kind) -> None:
        for status in rules.STATUSES[kind]:
            allowed = "withdraw" in allowed_actions(kind, status, DossierFacts(), NOW)
            assert allowed == (status not in FINAL_STATUSES), status

    @pytest.mark.parametrize("kind", [PROJECT, CANDIDATE])
    def test_a_final_status_allows_nothing(self, kind) -> None:
        for status in FINAL_STATUSES & set(rules.STATUSES[kind]):
            assert allowed_actions(kind, status, DossierFacts(), NOW) == []


class TestRefusals:
    def test_an_unknown_action_is_named(self) -> None:
        with pytest.raises(NoSuchAction, match="'promote'"):
            admit(PROJECT, Status.IN_EVALUATION, DossierFacts(), "promote", {}, NOW)

    def test_an_action_of_the_other_kind_does_not_apply(self) -> None:
        with pytest.raises(ActionDoesNotApply, match="does not apply to project dossiers"):
            admit(PROJECT, Status.IN_EVALUATION, DossierFacts(), "record_review", {}, NOW)

    def test_an_action_in_the_wrong_status_names_the_status_and_the_allowed_actions(self) -> None:
        with pytest.raises(ActionDoesNotApply) as refused:
            admit(
                CANDIDATE,
                Status.INTERVIEW,
                DossierFacts(),
                "record_review",
                {"outcome": "rejected"},
                NOW,
            )

        message = str(refused.value)
        assert "status interview" in message
        assert "record_interview, withdraw" in message
        assert refused.value.status == Status.INTERVIEW

    def test_a_final_dossier_allows_none(self) -> None:
        with pytest.raises(ActionDoesNotApply, match="allowed actions: none"):
            admit(CANDIDATE, Status.REJECTED, DossierFacts(), "withdraw", {}, NOW)

    def test_a_bad_body_names_every_field_at_fault_without_echoing_values(self) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(
                PROJECT, Status.IN_EVALUATION, DossierFacts(), "record_evaluation",
                {"outcome": "brilliant", "score": "Camille Martin"}, NOW,
            )  # fmt: skip

        fields = [error["field"] for error in refused.value.errors]
        assert fields == ["outcome", "score"]
        assert "Camille Martin" not in str(refused.value)
        assert "brilliant" not in str(refused.value)

    @pytest.mark.parametrize("note", ["nul \u0000", "escape \u001b[31m", "del \u007f"])
    def test_a_note_with_a_control_character_is_refused(self, note: str) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(
                PROJECT, Status.IN_EVALUATION, DossierFacts(), "record_evaluation",
                {"outcome": "eligible", "note": note}, NOW,
            )  # fmt: skip

        assert [error["field"] for error in refused.value.errors] == ["note"]

    def test_a_note_keeps_its_line_breaks_and_tabs(self) -> None:
        _, body = admit(
            PROJECT, Status.IN_EVALUATION, DossierFacts(), "record_evaluation",
            {"outcome": "eligible", "note": "un\r\ndeux\ttrois"}, NOW,
        )  # fmt: skip

        assert body.model_dump()["note"] == "un\r\ndeux\ttrois"

    @pytest.mark.parametrize("signed_on", ["9999-12-31", "1899-01-02"])
    def test_a_signature_date_out_of_range_is_refused(self, signed_on: str) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(
                PROJECT, Status.SELECTED, DossierFacts(), "sign_partnership",
                {"signed_on": signed_on}, NOW,
            )  # fmt: skip

        assert [error["field"] for error in refused.value.errors] == ["signed_on"]

    def test_a_missing_field_is_named(self) -> None:
        with pytest.raises(InvalidBody, match="signed_on: Field required"):
            admit(PROJECT, Status.SELECTED, DossierFacts(), "sign_partnership", {}, NOW)


class TestDeadlines:
    def test_a_stage_waiting_for_staff_is_due_after_the_configured_days(self) -> None:
        due = rules.stage_deadline(
            PROJECT, Status.IN_EVALUATION, entered_at=NOW, round=None, days=14
        )
        assert due == NOW + timedelta(days=14)

    def test_a_stage_waiting_for_no_one_has_no_deadline(self) -> None:
        for kind, status in [
            (PROJECT, Status.ELIGIBLE),
            (PROJECT, Status.PARTNERSHIP_SIGNED),
            (CANDIDATE, Status.IN_POOL),
            (CANDIDATE, Status.RECEIVED),
            (CANDIDATE, Status.REJECTED),
        ]:
            assert rules.stage_deadline(kind, status, entered_at=NOW, round=None, days=14) is None

    def test_a_scheduled_project_is_due_days_after_its_round_deliberates(self) -> None:
        due = rules.stage_deadline(PROJECT, Status.SCHEDULED, entered_at=NOW, round=ROUND, days=14)
        assert due == ROUND.deliberation_at + timedelta(days=14)
