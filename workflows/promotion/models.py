"""The promotion workflow's contract with its callers: names, id, inputs and results.

This module is the contract between the dossier (and contract) workflows, the promotion
workflow, and the selection service's client. Pure pydantic: safe to pass through the sandbox.
"""

from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from pydantic import BaseModel, Field

from libs.messages.common import DossierKind

# Names on the wire (recorded in histories: never change one). An activity that executes the
# promotion's update of the same name shares its constant.
PROMOTION_WORKFLOW: Final = "PromotionWorkflow"
"""The workflow type, for clients that start it or list it by name."""
ADD_ROUND: Final = "add_round"
ENROL: Final = "enrol"
LEAVE_ROUND: Final = "leave_round"
RESERVE_SEAT: Final = "reserve_seat"
RELEASE_SEAT: Final = "release_seat"
ALLOCATE_CONTRACT_NUMBER: Final = "allocate_contract_number"
"""Updates (the last four are also the activities that execute them)."""
CALENDAR: Final = "calendar"
SEATS: Final = "seats"
ROUND: Final = "round"
"""Queries."""
ENROL_IN_ROUND: Final = "enrol_in_round"
"""Activity finding a dossier's round from the promotion's calendar (it executed the ``enrol``
update before ADR 15): dossier workflows call the activities by name, so they never import
client code."""
TELL_ROUND_OPENED: Final = "tell_round_opened"
"""Activity the promotion runs when a round is added: signals ``round_opened`` to the running
dossiers of its kind that may be waiting for one (found through visibility, ADR 15)."""
ROUND_OPENED_TO_SEEKERS: Final = "round-opened-to-seeking-dossiers"
"""The ``workflow.patched`` id of that activity: histories from before it replay without it."""


MAX_PROMOTION_NUMBER: Final = 2**31 - 1
"""The range of the integer columns a promotion number is stored in (read models, pay
reports): a larger one would be refused by PostgreSQL downstream, wedging its consumer."""
MAX_SEAT_CAP: Final = 10_000


def promotion_workflow_id(number: int) -> str:
    return f"promotion-{number}"


class RoundState(StrEnum):
    OPEN = "open"
    DELIBERATING = "deliberating"
    CLOSED = "closed"


class RoundPlan(BaseModel):
    """A selection round as planned: it opens at once, deliberates at cut-off, then closes."""

    round_id: str = Field(description="Stable id, e.g. 7-project-2024-03")
    kind: DossierKind = Field(description="Project or candidate round")
    cutoff_at: datetime = Field(description="Dossiers arriving after it go to the next round")
    deliberation_at: datetime = Field(description="When the jury deliberates (after cut-off)")


class RoundRef(RoundPlan):
    state: RoundState = RoundState.OPEN


class Waiter(BaseModel):
    """A dossier that asked for a round of its kind when none was open."""

    dossier_id: UUID
    kind: DossierKind
    not_before: datetime


class PromotionState(BaseModel):
    """What a promotion carries over to its next run (continue-as-new): what must be exact
    and serial, none of it growing with the number of applications (ADR 15)."""

    rounds: list[RoundRef] = Field(default_factory=list)
    seats: list[UUID] = Field(
        default_factory=list, description="Seat holders, in order (at most the seat cap)"
    )
    enrolments: dict[str, list[UUID]] = Field(
        default_factory=dict,
        description="Before ADR 15 only: round id → dossiers enrolled through the ``enrol`` "
        "update. Read from an older run, never carried again (membership lives with the "
        "dossier and in selection's read model)",
    )
    waiters: list[Waiter] = Field(
        default_factory=list,
        description="Before ADR 15 only: dossiers that waited through the ``enrol`` update; "
        "they leave as rounds of their kind are added, and none joins any more",
    )
    contract_numbers: dict[UUID, int] = Field(
        default_factory=dict, description="Contract id → its sequence number, in order"
    )


class PromotionInput(BaseModel):
    number: int = Field(ge=1, le=MAX_PROMOTION_NUMBER, description="Promotion number (7 for 2024)")
    year: int = Field(ge=2016, le=2100, description="Year of the promotion")
    seat_cap: int = Field(
        ge=0, le=MAX_SEAT_CAP, description="Maximum number of EIG selected in the promotion"
    )
    rounds: list[RoundPlan] = Field(default_factory=list, description="Initial calendar")
    carried_state: PromotionState | None = Field(
        default=None,
        description="State carried over by continue-as-new; None on a first start (then the "
        "calendar is ``rounds``)",
    )


class EnrolInput(BaseModel):
    """Put a dossier in the open round of its kind with the earliest cut-off after not_before."""

    promotion_number: int
    dossier_id: UUID
    kind: DossierKind
    not_before: datetime


class EnrolResult(BaseModel):
    round: RoundRef | None = Field(
        description="The round joined; None when no round is open (the promotion signals "
        "the dossier with round_opened when one is added)"
    )


class SeatInput(BaseModel):
    promotion_number: int
    dossier_id: UUID


class SeatResult(BaseModel):
    granted: bool
    seats_taken: int
    seat_cap: int
    message: str = Field(description="e.g. '30/30 seats taken' when refused")


class RoundDetail(BaseModel):
    """Result of the ``round`` query: a round (and, for a run from before ADR 15, the
    dossiers its ``enrol`` update listed; selection reads membership from its read model)."""

    round: RoundRef
    dossier_ids: list[UUID] = Field(default_factory=list, description="In enrolment order")


class RoundOpenedInput(BaseModel):
    """Tell the running dossiers of the round's kind that may wait for a round that it opened."""

    promotion_number: int
    round: RoundRef


class SeatsSummary(BaseModel):
    """Result of the ``seats`` query."""

    seats_taken: int
    seat_cap: int
    dossier_ids: list[UUID] = Field(default_factory=list, description="Seat holders, in order")


class LeaveRoundInput(BaseModel):
    """Take a dossier out of the rounds it is enrolled or waiting in (withdrawn, final)."""

    promotion_number: int
    dossier_id: UUID


class ContractNumberInput(BaseModel):
    """Ask the promotion for a contract number; idempotent per contract id."""

    promotion_number: int
    contract_id: UUID


class ContractNumberResult(BaseModel):
    sequence: int = Field(ge=1, description="1, 2, … in the order contracts were numbered")
    contract_number: str = Field(description="e.g. EIG-7-0001")
