"""The client side of the promotion workflows: a port, its Temporal adapter and its errors.

The promotion workflow (``promotion-<number>``) is the single owner of a promotion's seats and
rounds: the selection service starts promotions, reads their queries and adds rounds through
this port. Temporal's answers are translated by :mod:`workflows.client_errors`, like the
dossier and contract clients': a refused plan is ``InvalidActionBody`` naming its field, a
round id or promotion number already taken is ``ActionRefused`` naming its field, an outage is
``WorkflowsUnavailable``; the not-found errors are this module's. Workflow code never imports
this module.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from libs.temporal import UNREACHABLE, TemporalConnection
from workflows import client_errors
from workflows.client_errors import ActionRefused, WorkflowNotFound, WorkflowsUnavailable
from workflows.promotion import rules
from workflows.promotion.models import (
    ADD_ROUND,
    CALENDAR,
    PROMOTION_WORKFLOW,
    ROUND,
    SEATS,
    PromotionInput,
    RoundDetail,
    RoundPlan,
    RoundRef,
    SeatsSummary,
    promotion_workflow_id,
)

T = TypeVar("T")

QUERY_TIMEOUT = timedelta(seconds=10)
"""A query needs a worker: without one, answer 503 rather than hang the request."""


class PromotionSummary(BaseModel):
    number: int
    year: int | None = Field(description="None when the promotion's start input is unreadable")
    seat_cap: int
    seats_taken: int
    seats_left: int


def summary(number: int, year: int | None, seats: SeatsSummary) -> PromotionSummary:
    return PromotionSummary(
        number=number,
        year=year,
        seat_cap=seats.seat_cap,
        seats_taken=seats.seats_taken,
        seats_left=max(seats.seat_cap - seats.seats_taken, 0),
    )


class PromotionNotFound(WorkflowNotFound):
    """No running promotion workflow with this number (``field``: promotion_number)."""

    def __init__(self, promotion_number: int) -> None:
        super().__init__(f"promotion {promotion_number} not found", field="promotion_number")


class RoundNotFound(WorkflowNotFound):
    """The promotion has no round with this id (``field``: round_id)."""

    def __init__(self, round_id: str, promotion_number: int | None = None) -> None:
        where = "" if promotion_number is None else f" in promotion {promotion_number}"
        super().__init__(f"round {round_id} not found{where}", field="round_id")


def promotion_exists(promotion_number: int) -> ActionRefused:
    """A second start of the same promotion is refused, naming the promotion's ``number``."""
    return ActionRefused(f"promotion {promotion_number} already exists", field="number")


def plan_refusal(refusal: rules.PromotionRefusal) -> Exception:
    """A plan refused by the rules before it is sent, as the workflow's own refusal would be."""
    return client_errors.refusal(rules.refusal_error(refusal), workflow="promotion")


class PromotionDirectory(Protocol):
    """What the selection service asks of the promotion workflows. Every method may raise
    ``WorkflowsUnavailable``; those taking a promotion number, :class:`PromotionNotFound`."""

    async def list_promotions(self) -> list[PromotionSummary]: ...

    async def start_promotion(self, promotion: PromotionInput) -> PromotionSummary:
        """Raises ``ActionRefused`` (field ``number``) if it exists already."""

    async def calendar(self, promotion_number: int) -> list[RoundRef]: ...

    async def seats(self, promotion_number: int) -> SeatsSummary: ...

    async def add_round(self, promotion_number: int, plan: RoundPlan) -> RoundRef:
        """Raises ``InvalidActionBody`` (the plan breaks a rule, naming its field) or
        ``ActionRefused`` (field ``round_id``: the id is taken)."""

    async def round_detail(self, promotion_number: int, round_id: str) -> RoundDetail:
        """Raises :class:`RoundNotFound` as well."""


class TemporalPromotionDirectory:
    """:class:`PromotionDirectory` over the process's one Temporal client, for the promotions
    ``PromotionWorkflow`` runs on ``task_queue``."""

    def __init__(
        self,
        connection: TemporalConnection,
        task_queue: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connection = connection
        self._task_queue = task_queue
        self._clock = clock

    async def list_promotions(self) -> list[PromotionSummary]:
        client = await self._client()
        # Only this deployment's queue: a promotion nobody polls for could not answer a query.
        query = (
            f'WorkflowType="{PROMOTION_WORKFLOW}" AND ExecutionStatus="Running" '
            f'AND TaskQueue="{self._task_queue}"'
        )
        numbers: set[int] = set()
        try:
            async for execution in client.list_workflows(query):
                number = _promotion_number(execution.id)
                if number is not None:
                    numbers.add(number)
        except (RPCError, *UNREACHABLE) as error:
            raise WorkflowsUnavailable(
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
        client = await self._client()
        try:
            # The default conflict policy (FAIL) and REJECT_DUPLICATE make the start itself the
            # existence check, atomic unlike a describe first: a second start is refused.
            await client.start_workflow(
                PROMOTION_WORKFLOW,
                promotion,
                id=promotion_workflow_id(promotion.number),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError as error:
            raise promotion_exists(promotion.number) from error
        except RPCError as error:
            raise WorkflowsUnavailable(f"promotion not started ({error.status.name})") from error
        return summary(
            promotion.number,
            promotion.year,
            SeatsSummary(seats_taken=0, seat_cap=promotion.seat_cap),
        )

    async def calendar(self, promotion_number: int) -> list[RoundRef]:
        calendar = await self._query(promotion_number, CALENDAR, list[RoundRef])
        if calendar is None:
            raise PromotionNotFound(promotion_number)
        return calendar

    async def seats(self, promotion_number: int) -> SeatsSummary:
        seats = await self._query(promotion_number, SEATS, SeatsSummary)
        if seats is None:
            raise PromotionNotFound(promotion_number)
        return seats

    async def add_round(self, promotion_number: int, plan: RoundPlan) -> RoundRef:
        # The workflow's validator checks again (and the id): checked first here so a plain
        # mistake costs no round trip.
        try:
            rules.check_new_round(plan, self._clock())
        except rules.PromotionRefusal as refusal:
            raise plan_refusal(refusal) from None

        async def not_running() -> Exception:
            return PromotionNotFound(promotion_number)

        return await client_errors.execute_update(
            self.connection,
            promotion_workflow_id(promotion_number),
            ADD_ROUND,
            plan,
            update_id=None,
            result_type=RoundRef,
            not_running=not_running,
        )

    async def round_detail(self, promotion_number: int, round_id: str) -> RoundDetail:
        # The query answers None for an unknown round: no workflow at all must say so itself.
        detail = await self._query(
            promotion_number,
            ROUND,
            RoundDetail,
            round_id,
            not_found=lambda: PromotionNotFound(promotion_number),
        )
        if detail is None:
            raise RoundNotFound(round_id, promotion_number)
        return detail

    async def _client(self) -> Client:
        try:
            return await self.connection.client()
        except UNREACHABLE as error:
            raise WorkflowsUnavailable(f"Temporal unreachable ({type(error).__name__})") from error

    async def _query(
        self,
        promotion_number: int,
        name: str,
        result_type: type[T],
        *args: object,
        not_found: Callable[[], Exception] | None = None,
    ) -> T | None:
        return await client_errors.query(
            self.connection,
            promotion_workflow_id(promotion_number),
            name,
            *args,
            result_type=result_type,
            not_found=not_found,
            rpc_timeout=QUERY_TIMEOUT,
        )

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
    """The inverse of ``promotion_workflow_id`` (None for another workflow's id)."""
    prefix, _, number = workflow_id.partition("-")
    return int(number) if prefix == "promotion" and number.isdigit() else None
