"""Activities through which dossier workflows reach their promotion's workflow.

Each one executes an update on the promotion workflow, which serialises them. Dossier (and
contract) workflows call these activities by name (``ENROL_IN_ROUND``, ``LEAVE_ROUND``,
``RESERVE_SEAT``, ``RELEASE_SEAT``, ``ALLOCATE_CONTRACT_NUMBER``), so they never import the
client.
"""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError, RPCStatusCode

from workflows.error_types import ErrorType
from workflows.promotion.models import (
    ALLOCATE_CONTRACT_NUMBER,
    ENROL,
    ENROL_IN_ROUND,
    LEAVE_ROUND,
    RELEASE_SEAT,
    RESERVE_SEAT,
    ContractNumberInput,
    ContractNumberResult,
    EnrolInput,
    EnrolResult,
    LeaveRoundInput,
    SeatInput,
    SeatResult,
    promotion_workflow_id,
)

T = TypeVar("T")

UPDATES_IN_FLIGHT = 8
"""Updates one worker process sends a promotion at once. Temporal admits about ten in flight
per workflow and throttles the rest (retried after 1, 2, 4 s…): queueing here instead kept 40
simultaneous selections at ~1 s rather than 4–9 s."""


class PromotionActivities:
    """Activities holding the Temporal client they need; the worker registers ``activities()``."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._in_flight = asyncio.Semaphore(UPDATES_IN_FLIGHT)

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity through which other workflows reach their promotion."""
        return [
            self.enrol_in_round,
            self.leave_round,
            self.reserve_seat,
            self.release_seat,
            self.allocate_contract_number,
        ]

    @activity.defn(name=ENROL_IN_ROUND)
    async def enrol_in_round(self, input: EnrolInput) -> EnrolResult:
        """Enrol the dossier in a round of its promotion (``round`` None: it waits for one)."""
        return await self._update(
            input.promotion_number,
            ENROL,
            input,
            id=_update_id("enrol", input.dossier_id),
            result_type=EnrolResult,
        )

    @activity.defn(name=LEAVE_ROUND)
    async def leave_round(self, input: LeaveRoundInput) -> None:
        """Take the dossier out of its promotion's rounds and waiters (idempotent).

        A promotion that does not run (never started, or ended) lists no dossier: nothing to do.
        """
        try:
            await self._update(
                input.promotion_number,
                LEAVE_ROUND,
                input,
                id=_update_id("leave-round", input.dossier_id),
                result_type=type(None),
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            activity.logger.info(
                "promotion %s not running: dossier %s has no round to leave",
                input.promotion_number,
                input.dossier_id,
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
        raise ApplicationError(
            f"promotion refused the update: {message}",
            type=ErrorType.PROMOTION_REFUSED,
            non_retryable=True,
        ) from error
