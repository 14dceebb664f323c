"""The contract rules on their own: actions per status, refusals, and the timed steps."""

from datetime import UTC, date, datetime, timedelta

import pytest

from libs.messages.contract_events import ContractStatus
from tests.unit.workflows.contract.contracts import POLICY_7, contract_input
from workflows.action_rules import ActionDoesNotApply, InvalidBody, NoSuchAction
from workflows.contract import rules
from workflows.contract.models import ContractAction, SetStartDate
from workflows.contract.pay import terms
from workflows.contract.rules import (
    ContractFacts,
    Effect,
    Schedule,
    Situation,
    Step,
    admit,
    allowed_actions,
    next_step,
    offer_deadlines,
)

Status = ContractStatus
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday
TERMS = terms(POLICY_7, contract_input(), contract_number="EIG-7-0001", start_on=date(2026, 4, 1))
# Term 2026-04-01 → 2027-03-31: it starts at 00:00 Paris on 1 April (summer time), its renewal
# window opens two months before the end (2027-01-31, winter time), it closes on 1 April 2027.
STARTS_AT = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
WINDOW_OPENS_AT = datetime(2027, 1, 30, 23, 0, tzinfo=UTC)
DAY_AFTER_TERM = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
STARTED = ContractFacts(term_started=True)
AGREED = ContractFacts(renewal_agreed=True)
DECLINED = ContractFacts(renewal_declined=True)


class TestAllowedActions:
    @pytest.mark.parametrize(
        ("status", "actions"),
        [
            (None, []),
            (Status.DRAFTED, ["set_start_date", "send_offer"]),
            (Status.OFFER_SENT, ["accept", "decline"]),
            (Status.ACCEPTED, ["set_start_date", "countersign"]),
            (Status.SIGNED, ["decide_renewal"]),
            (Status.ACTIVE, ["decide_renewal"]),
            (Status.RENEWAL_DUE, ["decide_renewal"]),
            (Status.RENEWED, []),
            (Status.ENDED, []),
            (Status.DECLINED, []),
            (Status.OFFER_EXPIRED, []),
        ],
    )
    def test_each_status_allows_its_actions(
        self, status: ContractStatus | None, actions: list[str]
    ) -> None:
        assert allowed_actions(status, ContractFacts()) == actions

    def test_once_not_renewed_nothing_is_left_to_decide(self) -> None:
        assert allowed_actions(Status.RENEWAL_DUE, ContractFacts(renewal_declined=True)) == []

    @pytest.mark.parametrize(
        ("status", "facts"),
        [
            (Status.SIGNED, DECLINED),
            (Status.ACTIVE, ContractFacts(renewal_declined=True, term_started=True)),
            # Renewed before its start, then activated: the next term is already agreed.
            (Status.ACTIVE, ContractFacts(renewal_agreed=True, term_started=True)),
        ],
    )
    def test_once_decided_early_nothing_is_left_to_decide_for_the_term(
        self, status: ContractStatus, facts: ContractFacts
    ) -> None:
        assert allowed_actions(status, facts) == []

    def test_a_new_term_has_its_renewal_to_decide(self) -> None:
        assert allowed_actions(Status.ACTIVE, STARTED) == ["decide_renewal"]

    def test_every_action_has_a_rule(self) -> None:
        assert set(rules.TRANSITIONS) == set(ContractAction)


class TestRefusals:
    def test_an_unknown_action(self) -> None:
        with pytest.raises(NoSuchAction, match="'sign'"):
            admit(Status.DRAFTED, ContractFacts(), "sign", {}, NOW)

    def test_an_action_of_another_status_names_the_allowed_ones(self) -> None:
        with pytest.raises(ActionDoesNotApply) as refused:
            admit(Status.DRAFTED, ContractFacts(), "accept", {}, NOW)

        assert (refused.value.status, refused.value.allowed) == (
            Status.DRAFTED,
            ["set_start_date", "send_offer"],
        )

    def test_before_the_draft_nothing_is_allowed(self) -> None:
        with pytest.raises(ActionDoesNotApply, match="allowed actions: none"):
            admit(None, ContractFacts(), "send_offer", {}, NOW)

    def test_a_second_renewal_decision(self) -> None:
        with pytest.raises(ActionDoesNotApply, match="already decided"):
            admit(
                Status.RENEWAL_DUE,
                ContractFacts(renewal_declined=True),
                "decide_renewal",
                {"renew": True},
                NOW,
            )

    @pytest.mark.parametrize(
        ("status", "facts", "reason"),
        [
            (Status.SIGNED, DECLINED, "the contract ends with its term"),
            (Status.ACTIVE, DECLINED, "the contract ends with its term"),
            (Status.ACTIVE, AGREED, "a new term follows this one"),
        ],
    )
    def test_a_second_renewal_decision_taken_early_says_which_was_taken(
        self, status: ContractStatus, facts: ContractFacts, reason: str
    ) -> None:
        with pytest.raises(ActionDoesNotApply) as refused:
            admit(status, facts, "decide_renewal", {"renew": False}, NOW)

        assert str(refused.value) == (
            f"decide_renewal is not allowed in status {status}: the renewal was already "
            f"decided: {reason}; allowed actions: none"
        )
        assert (refused.value.status, refused.value.allowed) == (status, [])

    def test_a_renewal_decision_while_renewed_is_refused(self) -> None:
        with pytest.raises(ActionDoesNotApply, match="not allowed in status renewed"):
            admit(Status.RENEWED, AGREED, "decide_renewal", {"renew": True}, NOW)

    def test_an_unknown_field_is_named(self) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(Status.DRAFTED, ContractFacts(), "send_offer", {"notes": "x"}, NOW)

        assert refused.value.errors == [
            {"field": "notes", "message": "Extra inputs are not permitted"}
        ]

    def test_a_missing_field_is_named(self) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(Status.RENEWAL_DUE, ContractFacts(), "decide_renewal", {}, NOW)

        assert [error["field"] for error in refused.value.errors] == ["renew"]

    @pytest.mark.parametrize(
        ("start_on", "message"),
        [
            ("2026-03-10", "must be after today (2026-03-10)"),
            ("2026-03-09", "must be after today (2026-03-10)"),
            ("2026-03-14", "2026-03-14 is not a working day"),  # a Saturday
            ("2026-04-06", "2026-04-06 is not a working day"),  # Easter Monday
            # Issue 9: a working day in year 9999 overflowed the term's end in the handler.
            ("2027-03-12", "must be within a year, on or before 2027-03-11"),
            ("9999-01-04", "Input should be less than or equal to 2100-12-31"),
        ],
    )
    def test_a_start_date_today_past_or_not_a_working_day(
        self, start_on: str, message: str
    ) -> None:
        with pytest.raises(InvalidBody) as refused:
            admit(Status.DRAFTED, ContractFacts(), "set_start_date", {"start_on": start_on}, NOW)

        [error] = refused.value.errors
        assert error["field"] == "start_on"
        assert error["message"].startswith(message)

    def test_a_start_date_a_year_ahead_is_taken(self) -> None:
        rule, body = admit(
            Status.DRAFTED, ContractFacts(), "set_start_date", {"start_on": "2027-03-11"}, NOW
        )

        assert body == SetStartDate(start_on=date(2027, 3, 11))

    @pytest.mark.parametrize("action", ["send_offer", "countersign", "decline"])
    def test_a_note_with_a_control_character_is_refused(self, action: str) -> None:
        status = {"send_offer": Status.DRAFTED, "countersign": Status.ACCEPTED}
        with pytest.raises(InvalidBody) as refused:
            admit(
                status.get(action, Status.OFFER_SENT),
                ContractFacts(),
                action,
                {"note": "merci\u0000"},
                NOW,
            )

        assert [error["field"] for error in refused.value.errors] == ["note"]

    def test_today_is_the_day_in_paris(self) -> None:
        # 23:30 UTC on 10 March is 11 March in Paris: the 11th is no longer "after today".
        late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)

        with pytest.raises(InvalidBody, match="after today"):
            admit(
                Status.DRAFTED, ContractFacts(), "set_start_date", {"start_on": "2026-03-11"}, late
            )


class TestDecisions:
    def test_a_new_start_date_keeps_the_status(self) -> None:
        rule, body = admit(
            Status.ACCEPTED, ContractFacts(), "set_start_date", {"start_on": "2026-03-11"}, NOW
        )

        decision = rule.decide(body, Situation(Status.ACCEPTED, ContractFacts(), NOW))

        assert isinstance(body, SetStartDate)
        assert (decision.status, decision.effect, decision.start_on) == (
            Status.ACCEPTED,
            Effect.CHANGE_START_DATE,
            date(2026, 3, 11),
        )

    @pytest.mark.parametrize(
        ("status", "action", "payload", "to_status", "effect"),
        [
            (
                Status.DRAFTED,
                "send_offer",
                {"note": "Bienvenue"},
                Status.OFFER_SENT,
                Effect.OPEN_OFFER,
            ),
            (Status.OFFER_SENT, "accept", {}, Status.ACCEPTED, None),
            (Status.OFFER_SENT, "decline", {"note": "Autre poste"}, Status.DECLINED, None),
            (Status.ACCEPTED, "countersign", {}, Status.SIGNED, None),
            (Status.RENEWAL_DUE, "decide_renewal", {"renew": True}, Status.RENEWED, Effect.RENEW),
            (Status.SIGNED, "decide_renewal", {"renew": True}, Status.RENEWED, Effect.RENEW),
            (Status.ACTIVE, "decide_renewal", {"renew": True}, Status.RENEWED, Effect.RENEW),
            # Declined early: no status change, the calendar goes on.
            (Status.SIGNED, "decide_renewal", {"renew": False}, Status.SIGNED, Effect.NOT_RENEW),
            (
                Status.ACTIVE,
                "decide_renewal",
                {"note": "Fin du projet", "renew": False},
                Status.ACTIVE,
                Effect.NOT_RENEW,
            ),
            (
                Status.RENEWAL_DUE,
                "decide_renewal",
                {"renew": False},
                Status.RENEWAL_DUE,
                Effect.NOT_RENEW,
            ),
        ],
    )
    def test_where_each_action_leads(
        self,
        status: ContractStatus,
        action: str,
        payload: dict[str, object],
        to_status: ContractStatus,
        effect: Effect | None,
    ) -> None:
        rule, body = admit(status, ContractFacts(), action, payload, NOW)

        decision = rule.decide(body, Situation(status, ContractFacts(), NOW))

        assert (decision.status, decision.effect) == (to_status, effect)
        assert decision.note == payload.get("note", "")


class TestTimedSteps:
    def test_an_offer_lapses_after_its_validity_with_a_reminder_before(self) -> None:
        expires_at, reminder_at = offer_deadlines(NOW, validity_days=10, reminder_days=3)

        assert (expires_at, reminder_at) == (NOW + timedelta(days=10), NOW + timedelta(days=7))

    @pytest.mark.parametrize("reminder_days", [0, 10, 12])
    def test_no_reminder_unless_it_falls_within_the_offer(self, reminder_days: int) -> None:
        assert offer_deadlines(NOW, 10, reminder_days)[1] is None

    def test_an_offer_reminds_then_expires(self) -> None:
        expires_at, reminder_at = offer_deadlines(NOW, 10, 3)

        reminding = next_step(Status.OFFER_SENT, Schedule(TERMS, expires_at, reminder_at))
        reminded = next_step(Status.OFFER_SENT, Schedule(TERMS, expires_at, None))

        assert reminding == (reminder_at, Step.REMIND_OFFER)
        assert reminded == (expires_at, Step.EXPIRE_OFFER)

    def test_a_signed_contract_activates_at_midnight_in_paris_on_its_start_date(self) -> None:
        assert next_step(Status.SIGNED, Schedule(TERMS)) == (STARTS_AT, Step.ACTIVATE)

    def test_an_active_contract_comes_up_for_renewal_before_its_end(self) -> None:
        assert next_step(
            Status.ACTIVE, Schedule(TERMS, renewal_notice_months=2, facts=STARTED)
        ) == (WINDOW_OPENS_AT, Step.OPEN_RENEWAL)

    @pytest.mark.parametrize(
        ("status", "facts", "step"),
        [
            (
                Status.RENEWED,
                ContractFacts(renewal_agreed=True, term_started=True),
                Step.START_NEXT_TERM,
            ),
            (Status.RENEWAL_DUE, STARTED, Step.END),
            (Status.RENEWAL_DUE, ContractFacts(renewal_declined=True, term_started=True), Step.END),
        ],
    )
    def test_the_term_closes_the_day_after_its_end(
        self, status: ContractStatus, facts: ContractFacts, step: Step
    ) -> None:
        assert next_step(status, Schedule(TERMS, facts=facts)) == (DAY_AFTER_TERM, step)

    def test_renewed_before_its_start_the_term_still_activates_on_its_start_date(self) -> None:
        assert next_step(Status.RENEWED, Schedule(TERMS, facts=AGREED)) == (
            STARTS_AT,
            Step.ACTIVATE,
        )

    def test_active_with_the_renewal_agreed_opens_no_window_and_the_next_term_follows(
        self,
    ) -> None:
        facts = ContractFacts(renewal_agreed=True, term_started=True)

        assert next_step(Status.ACTIVE, Schedule(TERMS, facts=facts)) == (
            DAY_AFTER_TERM,
            Step.START_NEXT_TERM,
        )

    @pytest.mark.parametrize(
        ("status", "facts", "due"),
        [
            (Status.SIGNED, DECLINED, (STARTS_AT, Step.ACTIVATE)),
            (
                Status.ACTIVE,
                ContractFacts(renewal_declined=True, term_started=True),
                (WINDOW_OPENS_AT, Step.OPEN_RENEWAL),
            ),
        ],
    )
    def test_declined_early_the_term_activates_and_its_window_still_opens(
        self, status: ContractStatus, facts: ContractFacts, due: tuple[datetime, Step]
    ) -> None:
        assert next_step(status, Schedule(TERMS, facts=facts)) == due

    def test_an_early_renewal_walks_the_calendar_through_two_terms(self) -> None:
        """Renewed when signed: active at the start, the next term the day after the end (no
        window between), then that term's own window; the steps as the workflow takes them."""
        second = TERMS.model_copy(
            update={"version": 2, "start_on": date(2027, 4, 1), "end_on": date(2028, 3, 31)}
        )
        walk = [
            (Status.RENEWED, TERMS, AGREED),  # decided when signed
            (Status.ACTIVE, TERMS, ContractFacts(renewal_agreed=True, term_started=True)),
            (Status.ACTIVE, second, STARTED),  # the next term: its renewal to decide
        ]

        steps = [
            next_step(status, Schedule(version_terms, facts=facts))
            for status, version_terms, facts in walk
        ]

        assert steps == [
            (STARTS_AT, Step.ACTIVATE),
            (DAY_AFTER_TERM, Step.START_NEXT_TERM),
            (datetime(2028, 1, 30, 23, 0, tzinfo=UTC), Step.OPEN_RENEWAL),
        ]

    @pytest.mark.parametrize(
        "status",
        [
            None,
            Status.DRAFTED,
            Status.ACCEPTED,
            Status.ENDED,
            Status.DECLINED,
            Status.OFFER_EXPIRED,
        ],
    )
    def test_statuses_that_wait_for_an_action_or_are_final(
        self, status: ContractStatus | None
    ) -> None:
        assert next_step(status, Schedule(TERMS)) is None

    def test_every_step_but_the_reminder_changes_the_status(self) -> None:
        assert set(rules.STEP_STATUS) == set(Step) - {Step.REMIND_OFFER}
