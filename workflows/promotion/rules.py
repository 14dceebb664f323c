"""The promotion's rules: a round's state in time, the cut-off rule for decisions, what a round
plan must be, seats and contract numbers.

Pure and I/O-free (no Temporal, no clock: callers pass ``now``). The promotion workflow applies
them; the dossier rules ask the cut-off rule; selection checks a plan before sending it and a
round before a decision; so each is written once. A refusal is a :class:`PromotionRefusal`
naming the field at fault; :func:`refusal_error` is how the workflow (and a client checking
first) turns it into the typed ``ApplicationError`` callers read.
"""

from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from temporalio.exceptions import ApplicationError

from libs.messages.common import DossierKind
from libs.plain_text import CONTROL_CHARACTERS
from workflows.error_types import ErrorType
from workflows.promotion.models import RoundPlan, RoundRef, RoundState


class PromotionRefusal(ValueError):
    """The promotion refuses an input: ``field`` names the field at fault, ``type`` says why."""

    def __init__(self, message: str, *, field: str, type: ErrorType) -> None:
        super().__init__(message)
        self.field = field
        self.type = type


def refusal_error(refusal: PromotionRefusal) -> ApplicationError:
    """The refusal as a validator (or the workflow) raises it: typed, with ``{"field"}``."""
    return ApplicationError(str(refusal), {"field": refusal.field}, type=refusal.type)


# Rounds in time.


def round_state_at(round: RoundPlan, now: datetime) -> RoundState:
    """Open until its cut-off, deliberating until its deliberation, then closed."""
    if now >= round.deliberation_at:
        return RoundState.CLOSED
    if now >= round.cutoff_at:
        return RoundState.DELIBERATING
    return RoundState.OPEN


def round_as_of(round: RoundRef, now: datetime) -> RoundRef:
    """The round in its state at ``now`` (a stored state only moves on timers)."""
    state = round_state_at(round, now)
    return round if state == round.state else round.model_copy(update={"state": state})


def decisions_refusal(round: RoundRef) -> str | None:
    """The cut-off rule: the jury decides on a round's dossiers once the round is closed to new
    ones (deliberating or closed). Why a decision is refused on ``round`` as it stands (see
    :func:`round_as_of`), or None."""
    if round.state == RoundState.OPEN:
        return (
            f"round {round.round_id} is open until {round.cutoff_at.isoformat()}; "
            "decisions are recorded once it deliberates"
        )
    return None


def decisions_open_at(round: RoundPlan) -> datetime:
    """When the cut-off rule stops refusing decisions on the round's dossiers."""
    return round.cutoff_at


def round_to_join(
    calendar: Iterable[RoundRef], kind: DossierKind, not_before: datetime
) -> RoundRef | None:
    """The round a dossier of ``kind`` joins: of the rounds open in ``calendar`` (as the
    promotion reports them), the one of its kind with the earliest cut-off after
    ``not_before``; None when there is none (the dossier waits for ``round_opened``).

    A pure function of the calendar, so a dossier asks it again with the same answer, and
    enrolling needs no write to the promotion (ADR 15).
    """
    joinable = sorted(
        (
            round_ref
            for round_ref in calendar
            if round_ref.kind == kind
            and round_ref.state == RoundState.OPEN
            and round_ref.cutoff_at > not_before
        ),
        key=lambda round_ref: (round_ref.cutoff_at, round_ref.round_id),
    )
    return joinable[0] if joinable else None


# Round plans.


def require_aware(field: str, value: datetime) -> None:
    """A naive datetime cannot be compared with workflow time: refused before it is recorded."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PromotionRefusal(
            f"{field} must carry a time zone", field=field, type=ErrorType.NAIVE_DATETIME
        )


ROUND_ID_MAX_LENGTH: Final = 100
EARLIEST_ROUND_AT: Final = datetime(2016, 1, 1, tzinfo=UTC)
LATEST_ROUND_AT: Final = datetime(2100, 12, 31, tzinfo=UTC)
"""Any round's dates lie between the first promotion and the end of the century: far dates
would overflow the timers' arithmetic."""
ROUND_HORIZON: Final = timedelta(days=3 * 366)
"""How far ahead a round added to a running promotion may be cut off."""
DELIBERATION_MAX_DELAY: Final = timedelta(days=366)
"""How long after its cut-off a round may deliberate."""


def _invalid_round(plan: RoundPlan, field: str, message: str) -> PromotionRefusal:
    return PromotionRefusal(
        f"round {plan.round_id[:ROUND_ID_MAX_LENGTH]}: {field} {message}",
        field=field,
        type=ErrorType.INVALID_ROUND,
    )


def check_plan(plan: RoundPlan) -> None:
    """What any round plan must be, including those of a promotion's first calendar."""
    if not 1 <= len(plan.round_id) <= ROUND_ID_MAX_LENGTH or CONTROL_CHARACTERS.search(
        plan.round_id
    ):
        raise _invalid_round(
            plan, "round_id", f"must be 1 to {ROUND_ID_MAX_LENGTH} characters, no control one"
        )
    require_aware("cutoff_at", plan.cutoff_at)
    require_aware("deliberation_at", plan.deliberation_at)
    for field, at in (("cutoff_at", plan.cutoff_at), ("deliberation_at", plan.deliberation_at)):
        if not EARLIEST_ROUND_AT <= at <= LATEST_ROUND_AT:
            raise _invalid_round(
                plan,
                field,
                f"must be between {EARLIEST_ROUND_AT.date()} and {LATEST_ROUND_AT.date()}",
            )
    if plan.deliberation_at < plan.cutoff_at:
        raise _invalid_round(plan, "deliberation_at", "must not be before cutoff_at")
    if plan.deliberation_at - plan.cutoff_at > DELIBERATION_MAX_DELAY:
        raise _invalid_round(plan, "deliberation_at", "must be within a year of cutoff_at")


def check_new_round(plan: RoundPlan, now: datetime, existing: Collection[str] = ()) -> None:
    """What a round added to a running promotion must be: a valid plan, a new id (among
    ``existing``), a cut-off still ahead."""
    check_plan(plan)
    if plan.round_id in existing:
        raise PromotionRefusal(
            f"round_id {plan.round_id} already exists",
            field="round_id",
            type=ErrorType.ROUND_EXISTS,
        )
    if plan.cutoff_at <= now:
        raise PromotionRefusal(
            f"cutoff_at {plan.cutoff_at.isoformat()} is in the past",
            field="cutoff_at",
            type=ErrorType.INVALID_ROUND,
        )
    if plan.cutoff_at > now + ROUND_HORIZON:
        raise _invalid_round(plan, "cutoff_at", "must be within three years")


def check_promotion(asked: int, number: int) -> None:
    """An input for promotion ``asked`` sent to promotion ``number`` is refused."""
    if asked != number:
        raise PromotionRefusal(
            f"promotion_number {asked} is not promotion {number}",
            field="promotion_number",
            type=ErrorType.WRONG_PROMOTION,
        )


# Seats and contract numbers.


def seats_message(taken: int, cap: int) -> str:
    return f"{taken}/{cap} seats taken"


def contract_number(promotion_number: int, sequence: int) -> str:
    """The number printed on a contract: ``EIG-{promotion}-{sequence:04d}``, e.g. EIG-7-0001."""
    return f"EIG-{promotion_number}-{sequence:04d}"
