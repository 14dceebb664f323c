"""An in-memory :class:`PromotionDirectory` (and round membership) for the selection API's
unit tests.

It applies the promotion's own rules (``workflows.promotion.rules``) and refuses with the
client's errors, so the API sees what the Temporal adapter would give it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from workflows.client_errors import WorkflowsUnavailable
from workflows.promotion import rules
from workflows.promotion.client import (
    PromotionNotFound,
    PromotionSummary,
    RoundNotFound,
    plan_refusal,
    promotion_exists,
    summary,
)
from workflows.promotion.models import (
    PromotionInput,
    RoundDetail,
    RoundPlan,
    RoundRef,
    RoundState,
    SeatsSummary,
)


@dataclass
class _FakePromotion:
    input: PromotionInput
    rounds: dict[str, RoundRef] = field(default_factory=dict)
    enrolments: dict[str, list[UUID]] = field(default_factory=dict)
    seats: list[UUID] = field(default_factory=list)


class InMemoryPromotionDirectory:
    """The workflow's behaviour (refusals included), on ``clock``'s time; ``down`` makes every
    call fail as when Temporal does not answer."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._promotions: dict[int, _FakePromotion] = {}
        self.down = False

    async def list_promotions(self) -> list[PromotionSummary]:
        self._answering()
        return [
            summary(number, promotion.input.year, await self.seats(number))
            for number, promotion in sorted(self._promotions.items())
        ]

    async def start_promotion(self, promotion: PromotionInput) -> PromotionSummary:
        self._answering()
        if promotion.number in self._promotions:
            raise promotion_exists(promotion.number)
        fake = _FakePromotion(input=promotion)
        for plan in promotion.rounds:
            fake.rounds.setdefault(plan.round_id, RoundRef(**plan.model_dump(exclude={"state"})))
            fake.enrolments.setdefault(plan.round_id, [])
        self._promotions[promotion.number] = fake
        return summary(promotion.number, promotion.year, await self.seats(promotion.number))

    async def calendar(self, promotion_number: int) -> list[RoundRef]:
        promotion = self._get(promotion_number)
        now = self._clock()
        rounds = [rules.round_as_of(ref, now) for ref in promotion.rounds.values()]
        return sorted(rounds, key=lambda ref: (ref.cutoff_at, ref.round_id))

    async def seats(self, promotion_number: int) -> SeatsSummary:
        promotion = self._get(promotion_number)
        return SeatsSummary(
            seats_taken=len(promotion.seats),
            seat_cap=promotion.input.seat_cap,
            dossier_ids=list(promotion.seats),
        )

    async def add_round(self, promotion_number: int, plan: RoundPlan) -> RoundRef:
        promotion = self._get(promotion_number)
        try:
            rules.check_new_round(plan, self._clock(), promotion.rounds)
        except rules.PromotionRefusal as refusal:
            raise plan_refusal(refusal) from None
        ref = RoundRef(**plan.model_dump(exclude={"state"}), state=RoundState.OPEN)
        promotion.rounds[plan.round_id] = ref
        promotion.enrolments[plan.round_id] = []
        return ref

    async def round_detail(self, promotion_number: int, round_id: str) -> RoundDetail:
        promotion = self._get(promotion_number)
        ref = promotion.rounds.get(round_id)
        if ref is None:
            raise RoundNotFound(round_id, promotion_number)
        return RoundDetail(
            round=rules.round_as_of(ref, self._clock()),
            dossier_ids=list(promotion.enrolments[round_id]),
        )

    def enrol(self, promotion_number: int, round_id: str, dossier_id: UUID) -> None:
        """Test set-up: a dossier joining the round, as its events tell the read model (this
        fake also stands in for :class:`RoundMembers`)."""
        self._get(promotion_number).enrolments[round_id].append(dossier_id)

    async def members(self, round_id: str) -> list[UUID]:
        return sorted(
            dossier_id
            for promotion in self._promotions.values()
            for dossier_id in promotion.enrolments.get(round_id, [])
        )

    async def is_member(self, dossier_id: UUID, round_id: str) -> bool:
        return dossier_id in await self.members(round_id)

    def _answering(self) -> None:
        if self.down:
            raise WorkflowsUnavailable("UNAVAILABLE")

    def _get(self, promotion_number: int) -> _FakePromotion:
        self._answering()
        promotion = self._promotions.get(promotion_number)
        if promotion is None:
            raise PromotionNotFound(promotion_number)
        return promotion
