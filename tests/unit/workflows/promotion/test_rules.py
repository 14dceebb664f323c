"""The promotion's pure rules: rounds in time, the cut-off rule, what a plan must be."""

from datetime import UTC, datetime, timedelta

import pytest

from libs.messages.common import DossierKind
from workflows.error_types import ErrorType
from workflows.promotion import rules
from workflows.promotion.models import RoundPlan, RoundRef, RoundState
from workflows.promotion.rules import PromotionRefusal

CUTOFF = datetime(2026, 4, 30, 21, 59, tzinfo=UTC)
ROUND = RoundRef(
    round_id="7-project-2026-04",
    kind=DossierKind.PROJECT,
    cutoff_at=CUTOFF,
    deliberation_at=CUTOFF + timedelta(days=14),
)
NOW = CUTOFF - timedelta(days=10)


def plan(**changes: object) -> RoundPlan:
    return RoundPlan.model_validate({**ROUND.model_dump(exclude={"state"}), **changes})


class TestRoundsInTime:
    @pytest.mark.parametrize(
        ("now", "state"),
        [
            (CUTOFF - timedelta(seconds=1), RoundState.OPEN),
            (CUTOFF, RoundState.DELIBERATING),
            (ROUND.deliberation_at - timedelta(seconds=1), RoundState.DELIBERATING),
            (ROUND.deliberation_at, RoundState.CLOSED),
        ],
    )
    def test_a_round_deliberates_from_its_cutoff_and_closes_at_its_deliberation(
        self, now: datetime, state: RoundState
    ) -> None:
        assert rules.round_state_at(ROUND, now) == state
        assert rules.round_as_of(ROUND, now).state == state

    def test_a_round_in_its_stored_state_is_returned_as_it_is(self) -> None:
        assert rules.round_as_of(ROUND, NOW) is ROUND


class TestCutOffRule:
    def test_before_the_cutoff_a_decision_is_refused_naming_the_round_and_its_cutoff(
        self,
    ) -> None:
        reason = rules.decisions_refusal(rules.round_as_of(ROUND, CUTOFF - timedelta(minutes=1)))

        assert reason is not None
        assert ROUND.round_id in reason
        assert CUTOFF.isoformat() in reason

    @pytest.mark.parametrize("after", [timedelta(0), timedelta(days=20)])
    def test_from_the_cutoff_on_decisions_are_allowed(self, after: timedelta) -> None:
        assert rules.decisions_refusal(rules.round_as_of(ROUND, CUTOFF + after)) is None
        assert rules.decisions_open_at(ROUND) == CUTOFF


class TestRoundToJoin:
    def ref(
        self, round_id: str, kind: DossierKind, cutoff_in_days: int, **changes: object
    ) -> RoundRef:
        cutoff_at = NOW + timedelta(days=cutoff_in_days)
        return RoundRef(
            round_id=round_id,
            kind=kind,
            cutoff_at=cutoff_at,
            deliberation_at=cutoff_at + timedelta(days=14),
            **changes,
        )

    def test_the_open_round_of_the_kind_with_the_earliest_cutoff(self) -> None:
        calendar = [
            self.ref("later", DossierKind.PROJECT, 40),
            self.ref("sooner", DossierKind.PROJECT, 20),
            self.ref("candidates", DossierKind.CANDIDATE, 5),
            self.ref("closed", DossierKind.PROJECT, -30, state=RoundState.CLOSED),
        ]

        joined = rules.round_to_join(calendar, DossierKind.PROJECT, NOW)

        assert joined is not None and joined.round_id == "sooner"

    def test_a_round_whose_cutoff_is_not_after_not_before_is_skipped(self) -> None:
        calendar = [
            self.ref("first", DossierKind.PROJECT, 10),
            self.ref("next", DossierKind.PROJECT, 70),
        ]

        joined = rules.round_to_join(calendar, DossierKind.PROJECT, NOW + timedelta(days=10))

        assert joined is not None and joined.round_id == "next"

    def test_with_no_open_round_of_the_kind_none(self) -> None:
        calendar = [
            self.ref("projects", DossierKind.PROJECT, 10),
            self.ref("deliberating", DossierKind.CANDIDATE, 10, state=RoundState.DELIBERATING),
        ]

        assert rules.round_to_join(calendar, DossierKind.CANDIDATE, NOW) is None


class TestPlans:
    @pytest.mark.parametrize("field", ["cutoff_at", "deliberation_at"])
    def test_a_naive_datetime_is_refused_naming_its_field(self, field: str) -> None:
        naive = getattr(ROUND, field).replace(tzinfo=None)

        with pytest.raises(PromotionRefusal) as refused:
            rules.check_plan(plan(**{field: naive}))

        assert (refused.value.field, refused.value.type) == (field, ErrorType.NAIVE_DATETIME)

    def test_a_deliberation_before_the_cutoff_is_refused_naming_it(self) -> None:
        with pytest.raises(PromotionRefusal) as refused:
            rules.check_plan(plan(deliberation_at=CUTOFF - timedelta(days=1)))

        assert (refused.value.field, refused.value.type) == (
            "deliberation_at",
            ErrorType.INVALID_ROUND,
        )

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            # Issue 9: round dates near year 9999 overflowed downstream.
            ({"cutoff_at": datetime(9999, 12, 1, tzinfo=UTC)}, "cutoff_at"),
            ({"deliberation_at": datetime(9999, 12, 31, tzinfo=UTC)}, "deliberation_at"),
            ({"cutoff_at": datetime(1970, 1, 1, tzinfo=UTC)}, "cutoff_at"),
            ({"deliberation_at": CUTOFF + timedelta(days=400)}, "deliberation_at"),
            ({"round_id": "x" * 101}, "round_id"),
            ({"round_id": ""}, "round_id"),
            ({"round_id": "7-project\u0000"}, "round_id"),
        ],
    )
    def test_a_plan_out_of_bounds_is_refused_naming_its_field(
        self, changes: dict[str, object], field: str
    ) -> None:
        with pytest.raises(PromotionRefusal) as refused:
            rules.check_plan(plan(**changes))

        assert (refused.value.field, refused.value.type) == (field, ErrorType.INVALID_ROUND)

    def test_a_new_round_is_cut_off_within_three_years(self) -> None:
        rules.check_new_round(plan(), CUTOFF - timedelta(days=3 * 366 - 1))

        with pytest.raises(PromotionRefusal) as far:
            rules.check_new_round(plan(), CUTOFF - timedelta(days=3 * 366 + 1))

        assert (far.value.field, far.value.type) == ("cutoff_at", ErrorType.INVALID_ROUND)

    def test_a_new_round_needs_a_new_id_and_a_cutoff_ahead(self) -> None:
        rules.check_new_round(plan(), NOW, existing={"7-candidate-2026-04"})

        with pytest.raises(PromotionRefusal) as taken:
            rules.check_new_round(plan(), NOW, existing={ROUND.round_id})
        with pytest.raises(PromotionRefusal) as past:
            rules.check_new_round(plan(), CUTOFF)

        assert (taken.value.field, taken.value.type) == ("round_id", ErrorType.ROUND_EXISTS)
        assert (past.value.field, past.value.type) == ("cutoff_at", ErrorType.INVALID_ROUND)

    def test_an_input_for_another_promotion_is_refused_naming_its_number(self) -> None:
        rules.check_promotion(7, 7)

        with pytest.raises(PromotionRefusal) as refused:
            rules.check_promotion(8, 7)

        assert (refused.value.field, refused.value.type) == (
            "promotion_number",
            ErrorType.WRONG_PROMOTION,
        )

    def test_a_refusal_becomes_a_typed_error_naming_its_field(self) -> None:
        refusal = PromotionRefusal("x", field="cutoff_at", type=ErrorType.INVALID_ROUND)

        error = rules.refusal_error(refusal)

        assert (error.type, list(error.details), error.message) == (
            ErrorType.INVALID_ROUND,
            [{"field": "cutoff_at"}],
            "x",
        )


def test_contract_numbers_and_seats_read_as_printed() -> None:
    assert rules.contract_number(7, 1) == "EIG-7-0001"
    assert rules.seats_message(30, 30) == "30/30 seats taken"
