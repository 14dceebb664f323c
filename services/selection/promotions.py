"""Promotions and their rounds, as the selection API sees them: a port and its adapters.

The promotion workflow (``workflows/promotion``) is the single owner of seats and rounds, so
this port only reads its queries and sends its updates; the in-memory fake mirrors the
workflow's refusals for unit tests. ``DossierActions`` is the narrow port the jury's decisions
go through ``workflows.dossier.client`` (the dossier workflow's ``apply_action``).
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from libs.temporal import UNREACHABLE
from workflows.promotion.models import (
    PromotionInput,
    RoundDetail,
    RoundPlan,
    RoundRef,
    RoundState,
    SeatsSummary,
    promotion_workflow_id,
)
from workflows.promotion.workflows import round_state_at

ClientGetter = Callable[[], Awaitable[Client]]

PROMOTION_WORKFLOW_TYPE = "PromotionWorkflow"
QUERY_TIMEOUT = timedelta(seconds=10)
"""A query needs a worker: without one, answer 503 rather than hang the request."""


# --- Read models ---------------------------------------------------------------------------


class PromotionSummary(BaseModel):
    number: int
    year: int | None = Field(description="None when the promotion's start input is unreadable")
    seat_cap: int
    seats_taken: int
    seats_left: int


class PromotionRound(BaseModel):
    """A round with the promotion it belongs to."""

    promotion_number: int
    round: RoundRef


# --- Errors (the API maps them to HTTP answers) ------------------------------------------


class PromotionError(Exception):
    """A refusal whose message names fields and ids, never personal data."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PromotionNotFound(PromotionError):
    pass


class PromotionAlreadyExists(PromotionError):
    pass


class RoundNotFound(PromotionError):
    pass


class RoundConflict(PromotionError):
    """The round id is taken."""


class InvalidRound(PromotionError):
    """The plan breaks a rule (cut-off in the past, deliberation before cut-off, naive date)."""


class PromotionUnavailable(PromotionError):
    """Temporal or the promotion's worker did not answer."""


# --- Port ----------------------------------------------------------------------------------


class PromotionDirectory(Protocol):
    async def list_promotions(self) -> list[PromotionSummary]: ...

    async def start_promotion(self, promotion: PromotionInput) -> PromotionSummary: ...

    async def calendar(self, number: int) -> list[RoundRef]: ...

    async def seats(self, number: int) -> SeatsSummary: ...

    async def add_round(self, number: int, plan: RoundPlan) -> RoundRef: ...

    async def round_detail(self, number: int, round_id: str) -> RoundDetail: ...


def summary(number: int, year: int | None, seats: SeatsSummary) -> PromotionSummary:
    return PromotionSummary(
        number=number,
        year=year,
        seat_cap=seats.seat_cap,
        seats_taken=seats.seats_taken,
        seats_left=max(seats.seat_cap - seats.seats_taken, 0),
    )


def check_plan(plan: RoundPlan, now: datetime) -> None:
    """The workflow validator's rules, checked first so refusals name their field."""
    for name in ("cutoff_at", "deliberation_at"):
        value: datetime = getattr(plan, name)
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidRound(f"{name} must carry a time zone", field=name)
    if plan.deliberation_at < plan.cutoff_at:
        raise InvalidRound("deliberation_at must not be before cutoff_at", field="deliberation_at")
    if plan.cutoff_at <= now:
        raise InvalidRound(
            f"cutoff_at {plan.cutoff_at.isoformat()} is in the past", field="cutoff_at"
        )


_FIELD_IN_MESSAGE = re.compile(r"\b(round_id|cutoff_at|deliberation_at)\b")


def round_refusal(message: str) -> PromotionError:
    """The workflow validator's refusal of ``add_round`` as a port error naming its field."""
    if "already exists" in message:
        return RoundConflict(message, field="round_id")
    match = _FIELD_IN_MESSAGE.search(message)
    return InvalidRound(message, field=match.group(1) if match else None)


# --- Temporal adapter ----------------------------------------------------------------------


class TemporalPromotionDirectory:
    """Promotions as the ``PromotionWorkflow`` runs them on ``task_queue``."""

    def __init__(
        self,
        client: ClientGetter,
        task_queue: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._clock = clock

    async def list_promotions(self) -> list[PromotionSummary]:
        client = await self._connected()
        # Only this deployment's queue: a promotion nobody polls for could not answer a query.
        query = (
            f'WorkflowType="{PROMOTION_WORKFLOW_TYPE}" AND ExecutionStatus="Running" '
            f'AND TaskQueue="{self._task_queue}"'
        )
        numbers: set[int] = set()
        try:
            async for execution in client.list_workflows(query):
                number = _promotion_number(execution.id)
                if number is not None:
                    numbers.add(number)
        except (RPCError, *UNREACHABLE) as error:
            raise PromotionUnavailable(
                f"promotions cannot be listed ({type(error).__name__})"
            ) from error
        summaries = []
        for number in sorted(numbers):
            try:
                seats = await self.seats(number)
            except PromotionNotFound:
                continue  # ended between the listing and the query
            summaries.append(summary(number, await self._year(client, number), seats))
        return summaries

    async def start_promotion(self, promotion: PromotionInput) -> PromotionSummary:
        client = await self._connected()
        workflow_id = promotion_workflow_id(promotion.number)
        try:
            # The default conflict policy (FAIL) and REJECT_DUPLICATE make the start itself the
            # existence check, atomic unlike a describe first: a second start is refused.
            await client.start_workflow(
                PROMOTION_WORKFLOW_TYPE,
                promotion,
                id=workflow_id,
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError as error:
            raise PromotionAlreadyExists(
                f"promotion {promotion.number} already exists", field="number"
            ) from error
        except RPCError as error:
            raise PromotionUnavailable(f"promotion not started ({error.status.name})") from error
        return summary(
            promotion.number,
            promotion.year,
            SeatsSummary(seats_taken=0, seat_cap=promotion.seat_cap),
        )

    async def calendar(self, number: int) -> list[RoundRef]:
        handle = await self._handle(number)
        result: list[RoundRef] = await self._query(number, handle, "calendar", list[RoundRef])
        return result

    async def seats(self, number: int) -> SeatsSummary:
        handle = await self._handle(number)
        result: SeatsSummary = await self._query(number, handle, "seats", SeatsSummary)
        return result

    async def add_round(self, number: int, plan: RoundPlan) -> RoundRef:
        check_plan(plan, self._clock())
        handle = await self._handle(number)
        try:
            added: RoundRef = await handle.execute_update("add_round", plan, result_type=RoundRef)
            return added
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(error)
            raise round_refusal(message) from error
        except RPCError as error:
            raise _rpc_error(number, error) from error
        except UNREACHABLE as error:
            raise PromotionUnavailable(f"promotion {number} did not answer") from error

    async def round_detail(self, number: int, round_id: str) -> RoundDetail:
        handle = await self._handle(number)
        detail: RoundDetail | None = await self._query(
            number, handle, "round", RoundDetail | None, round_id
        )
        if detail is None:
            raise RoundNotFound(
                f"round {round_id} not found in promotion {number}", field="round_id"
            )
        return detail

    async def _connected(self) -> Client:
        try:
            return await self._client()
        except UNREACHABLE as error:
            raise PromotionUnavailable(f"Temporal unreachable ({type(error).__name__})") from error

    async def _handle(self, number: int) -> WorkflowHandle[Any, Any]:
        client = await self._connected()
        return client.get_workflow_handle(promotion_workflow_id(number))

    async def _query(
        self, number: int, handle: WorkflowHandle[Any, Any], name: str, result_type: Any, *args: Any
    ) -> Any:
        try:
            return await handle.query(
                name, *args, result_type=result_type, rpc_timeout=QUERY_TIMEOUT
            )
        except RPCError as error:
            raise _rpc_error(number, error) from error
        except (WorkflowQueryFailedError, *UNREACHABLE) as error:
            raise PromotionUnavailable(f"promotion {number} did not answer") from error

    async def _year(self, client: Client, number: int) -> int | None:
        """The year from the current run's start input (the workflow has no query for it)."""
        handle = client.get_workflow_handle(promotion_workflow_id(number))
        try:
            async for event in handle.fetch_history_events(page_size=1, rpc_timeout=QUERY_TIMEOUT):
                if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                    return None
                payloads = event.workflow_execution_started_event_attributes.input.payloads
                [started] = await client.data_converter.decode(payloads, [PromotionInput])
                return int(started.year)
        except (RPCError, ValueError, TypeError, *UNREACHABLE):
            return None
        return None


def _promotion_number(workflow_id: str) -> int | None:
    prefix, _, number = workflow_id.partition("-")
    return int(number) if prefix == "promotion" and number.isdigit() else None


def _rpc_error(number: int, error: RPCError) -> PromotionError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return PromotionNotFound(f"promotion {number} not found", field="promotion")
    return PromotionUnavailable(f"promotion {number} did not answer ({error.status.name})")


# --- In-memory fake ------------------------------------------------------------------------


@dataclass
class _FakePromotion:
    input: PromotionInput
    rounds: dict[str, RoundRef] = field(default_factory=dict)
    enrolments: dict[str, list[UUID]] = field(default_factory=dict)
    seats: list[UUID] = field(default_factory=list)


class InMemoryPromotionDirectory:
    """The workflow's behaviour for the API's unit tests (refusals included)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._promotions: dict[int, _FakePromotion] = {}

    async def list_promotions(self) -> list[PromotionSummary]:
        return [
            summary(number, promotion.input.year, await self.seats(number))
            for number, promotion in sorted(self._promotions.items())
        ]

    async def start_promotion(self, promotion: PromotionInput) -> PromotionSummary:
        if promotion.number in self._promotions:
            raise PromotionAlreadyExists(
                f"promotion {promotion.number} already exists", field="number"
            )
        fake = _FakePromotion(input=promotion)
        for plan in promotion.rounds:
            fake.rounds.setdefault(plan.round_id, RoundRef(**plan.model_dump(exclude={"state"})))
            fake.enrolments.setdefault(plan.round_id, [])
        self._promotions[promotion.number] = fake
        return summary(promotion.number, promotion.year, await self.seats(promotion.number))

    async def calendar(self, number: int) -> list[RoundRef]:
        promotion = self._get(number)
        rounds = [self._now_state(ref) for ref in promotion.rounds.values()]
        return sorted(rounds, key=lambda ref: (ref.cutoff_at, ref.round_id))

    async def seats(self, number: int) -> SeatsSummary:
        promotion = self._get(number)
        return SeatsSummary(
            seats_taken=len(promotion.seats),
            seat_cap=promotion.input.seat_cap,
            dossier_ids=list(promotion.seats),
        )

    async def add_round(self, number: int, plan: RoundPlan) -> RoundRef:
        promotion = self._get(number)
        check_plan(plan, self._clock())
        if plan.round_id in promotion.rounds:
            raise RoundConflict(f"round_id {plan.round_id} already exists", field="round_id")
        ref = RoundRef(**plan.model_dump(exclude={"state"}), state=RoundState.OPEN)
        promotion.rounds[plan.round_id] = ref
        promotion.enrolments[plan.round_id] = []
        return ref

    async def round_detail(self, number: int, round_id: str) -> RoundDetail:
        promotion = self._get(number)
        ref = promotion.rounds.get(round_id)
        if ref is None:
            raise RoundNotFound(
                f"round {round_id} not found in promotion {number}", field="round_id"
            )
        return RoundDetail(
            round=self._now_state(ref), dossier_ids=list(promotion.enrolments[round_id])
        )

    def enrol(self, number: int, round_id: str, dossier_id: UUID) -> None:
        """Test set-up: what the dossier workflows' ``enrol`` would have done."""
        self._get(number).enrolments[round_id].append(dossier_id)

    def _now_state(self, ref: RoundRef) -> RoundRef:
        """Open → deliberating → closed as the clock passes, like the workflow's timers."""
        return ref.model_copy(update={"state": round_state_at(ref, self._clock())})

    def _get(self, number: int) -> _FakePromotion:
        promotion = self._promotions.get(number)
        if promotion is None:
            raise PromotionNotFound(f"promotion {number} not found", field="promotion")
        return promotion
