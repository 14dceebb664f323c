"""Activities through which dossier workflows reach their promotion's workflow.

Seats and contract numbers execute an update on the promotion workflow, which serialises them.
Enrolling does not (ADR 15): ``enrol_in_round`` reads the promotion's calendar (a query: no
history, no update) and applies ``rules.round_to_join``; ``leave_round`` has nothing left to
do. ``tell_round_opened`` is the promotion's own: when a round is added it signals the running
dossiers that may wait for one. Dossier (and contract) workflows call these activities by name
(``ENROL_IN_ROUND``, ``LEAVE_ROUND``, ``RESERVE_SEAT``, ``RELEASE_SEAT``,
``ALLOCATE_CONTRACT_NUMBER``), so they never import the client.
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError, RPCStatusCode

from workflows.dossier.models import ROUND_OPENED
from workflows.dossier.rules import ROUND_SEEKING_STATUSES
from workflows.error_types import ErrorType
from workflows.promotion import rules
from workflows.promotion.models import (
    ALLOCATE_CONTRACT_NUMBER,
    CALENDAR,
    ENROL_IN_ROUND,
    LEAVE_ROUND,
    RELEASE_SEAT,
    RESERVE_SEAT,
    TELL_ROUND_OPENED,
    ContractNumberInput,
    ContractNumberResult,
    EnrolInput,
    EnrolResult,
    LeaveRoundInput,
    RoundOpenedInput,
    RoundRef,
    SeatInput,
    SeatResult,
    promotion_workflow_id,
)
from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS

T = TypeVar("T")

UPDATES_IN_FLIGHT = 8
"""Updates one worker process sends a promotion at once. Temporal admits about ten in flight
per workflow and throttles the rest (retried after 1, 2, 4 s…): queueing here instead kept 40
simultaneous selections at ~1 s rather than 4–9 s."""

SIGNALS_IN_FLIGHT = 32
"""Signals ``tell_round_opened`` sends at once (to different dossiers: no one workflow's limit)."""
TELLING_BATCH = 1_000
"""Listed dossiers signalled before the listing goes on."""
CalendarVersion = tuple[str, int]
"""A promotion run and its history's length: every change to the calendar (a round added,
a cut-off or deliberation reached) adds events, enrolling adds none."""


class PromotionActivities:
    """Activities holding the Temporal client they need; the worker registers ``activities()``."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._in_flight = asyncio.Semaphore(UPDATES_IN_FLIGHT)
        self._calendars: dict[int, tuple[CalendarVersion, list[RoundRef]]] = {}
        self._calendar_reads: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity through which other workflows reach their promotion."""
        return [
            self.enrol_in_round,
            self.leave_round,
            self.reserve_seat,
            self.release_seat,
            self.allocate_contract_number,
            self.tell_round_opened,
        ]

    @activity.defn(name=ENROL_IN_ROUND)
    async def enrol_in_round(self, input: EnrolInput) -> EnrolResult:
        """The round the dossier joins, from its promotion's calendar (``round`` None: none is
        open, it waits for ``round_opened``). Reads only: the dossier carries its round."""
        try:
            rules.require_aware("not_before", input.not_before)
        except rules.PromotionRefusal as refusal:
            raise _refused(str(refusal)) from None
        calendar = await self._calendar(input.promotion_number)
        return EnrolResult(round=rules.round_to_join(calendar, input.kind, input.not_before))

    @activity.defn(name=LEAVE_ROUND)
    async def leave_round(self, input: LeaveRoundInput) -> None:
        """Nothing to do since ADR 15: a final dossier leaves its round's list by its status
        (selection's read model). Kept so that running dossier workflows still find it."""
        activity.logger.debug("dossier %s is final: no round to leave", input.dossier_id)

    @activity.defn(name=TELL_ROUND_OPENED)
    async def tell_round_opened(self, input: RoundOpenedInput) -> None:
        """Signal ``round_opened`` to the running dossiers of the round's kind in a status that
        seeks a round (those that have one ignore it: the signal is idempotent).

        Found through visibility (the dossiers' search attributes), so the promotion lists no
        one; a dossier whose status became visible late asked the calendar after the round was
        added, so it joined it itself."""
        kind = input.round.kind
        statuses = ", ".join(f'"{status.value}"' for status in ROUND_SEEKING_STATUSES[kind])
        query = (
            f'ExecutionStatus="Running" AND {DOSSIER_KIND.name}="{kind.value}" '
            f"AND {DOSSIER_STATUS.name} IN ({statuses})"
        )
        in_flight = asyncio.Semaphore(SIGNALS_IN_FLIGHT)
        told = 0

        async def tell(workflow_id: str) -> None:
            nonlocal told
            async with in_flight:
                try:
                    await self._client.get_workflow_handle(workflow_id).signal(
                        ROUND_OPENED, input.round
                    )
                    told += 1
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise  # closed since it was listed: nobody left to tell

        batch: list[str] = []
        async for execution in self._client.list_workflows(query):
            batch.append(execution.id)
            if len(batch) >= TELLING_BATCH:  # bounded memory however many dossiers
                await asyncio.gather(*(tell(workflow_id) for workflow_id in batch))
                batch.clear()
        await asyncio.gather(*(tell(workflow_id) for workflow_id in batch))
        activity.logger.info(
            "promotion %s: round %s told to %d dossiers",
            input.promotion_number,
            input.round.round_id,
            told,
        )

    @activity.defn(name=RESERVE_SEAT)
    async def reserve_seat(self, input: SeatInput) -> SeatResult:
        """Take a seat of the promotion; ``granted`` False when all are taken."""
        return await self._update(
            input.promotion_number,
            RESERVE_SEAT,
            input,
            id=_update_id("reserve-seat", input.dossier_id),
            result_type=SeatResult,
        )

    @activity.defn(name=RELEASE_SEAT)
    async def release_seat(self, input: SeatInput) -> SeatResult:
        """Give the dossier's seat back (idempotent)."""
        return await self._update(
            input.promotion_number,
            RELEASE_SEAT,
            input,
            id=_update_id("release-seat", input.dossier_id),
            result_type=SeatResult,
        )

    @activity.defn(name=ALLOCATE_CONTRACT_NUMBER)
    async def allocate_contract_number(self, input: ContractNumberInput) -> ContractNumberResult:
        """The contract's number in its promotion (``EIG-7-0001``); the same for the same id."""
        return await self._update(
            input.promotion_number,
            ALLOCATE_CONTRACT_NUMBER,
            input,
            # Keyed by contract alone: whichever run, attempt or caller asks, the server
            # applies it once per promotion run, and the update itself is idempotent.
            id=f"allocate-contract-number-{input.contract_id}",
            result_type=ContractNumberResult,
        )

    async def _calendar(self, promotion_number: int) -> list[RoundRef]:
        """The promotion's calendar as it is now, queried again only when its version changed.

        A query per enrolment made the promotion's worker answer every one in turn; a
        description is the server's alone (no worker, no history) and tells the version, so a
        round added a moment ago is always seen. Described before the query: a calendar is
        never cached under a version newer than itself. A promotion not started yet (or a
        worker not there yet) is an error the activity's retries wait out.
        """
        handle = self._client.get_workflow_handle(promotion_workflow_id(promotion_number))
        description = await handle.describe()
        version = (description.run_id, description.history_length)
        async with self._calendar_reads[promotion_number]:
            cached = self._calendars.get(promotion_number)
            if cached is not None and cached[0] == version:
                return cached[1]
            calendar: list[RoundRef] = await handle.query(CALENDAR, result_type=list[RoundRef])
            self._calendars[promotion_number] = (version, calendar)
            return calendar

    async def _update(
        self, promotion_number: int, update: str, input: BaseModel, *, id: str, result_type: type[T]
    ) -> T:
        """Execute the promotion's update, one of a bounded number in flight; a refusal fails
        the activity for good."""
        handle = self._client.get_workflow_handle(promotion_workflow_id(promotion_number))
        async with self._in_flight:
            with _refusals_not_retried():
                result: T = await handle.execute_update(
                    update, input, id=id, result_type=result_type
                )
                return result


def _update_id(operation: str, dossier_id: UUID) -> str:
    """The same id on every attempt of one activity, so the server applies a retry only once.

    The calling activity's identity is part of it: a later, separate call (a seat reserved
    again after its release) is a new update, not a replay of the first.
    """
    info = activity.info()
    return f"{operation}-{dossier_id}-{info.workflow_run_id}-{info.activity_id}"


def _refused(message: str) -> ApplicationError:
    return ApplicationError(
        f"promotion refused the update: {message}",
        type=ErrorType.PROMOTION_REFUSED,
        non_retryable=True,
    )


@contextmanager
def _refusals_not_retried() -> Iterator[None]:
    """A refused update (validator) would be refused again: fail the activity for good.

    Anything else (promotion not started yet, server unreachable) stays retryable.
    """
    try:
        yield
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        message = cause.message if isinstance(cause, FailureError) else str(cause)
        raise _refused(message) from error
