"""Activities through which dossier workflows reach their promotion's workflow.

Each one executes an update on the promotion workflow, which serialises them. Dossier
workflows call these activities by name (``ENROL_IN_ROUND``, ``RESERVE_SEAT``,
``RELEASE_SEAT``), so they never import the client.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, FailureError

from workflows.promotion.models import (
    ENROL_IN_ROUND,
    RELEASE_SEAT,
    RESERVE_SEAT,
    EnrolInput,
    EnrolResult,
    SeatInput,
    SeatResult,
    promotion_workflow_id,
)
from workflows.promotion.workflows import PromotionWorkflow

PROMOTION_REFUSED = "PromotionRefused"
"""Error type of an activity whose update the promotion refused (bad input): not retried."""


class PromotionActivities:
    """Activities holding the Temporal client they need; the worker registers its bound methods."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name=ENROL_IN_ROUND)
    async def enrol_in_round(self, input: EnrolInput) -> EnrolResult:
        """Enrol the dossier in a round of its promotion (``round`` None: it waits for one)."""
        with _refusals_not_retried():
            return await self._promotion(input.promotion_number).execute_update(
                PromotionWorkflow.enrol, input, id=_update_id("enrol", input.dossier_id)
            )

    @activity.defn(name=RESERVE_SEAT)
    async def reserve_seat(self, input: SeatInput) -> SeatResult:
        """Take a seat of the promotion; ``granted`` False when all are taken."""
        with _refusals_not_retried():
            return await self._promotion(input.promotion_number).execute_update(
                PromotionWorkflow.reserve_seat,
                input,
                id=_update_id("reserve-seat", input.dossier_id),
            )

    @activity.defn(name=RELEASE_SEAT)
    async def release_seat(self, input: SeatInput) -> SeatResult:
        """Give the dossier's seat back (idempotent)."""
        with _refusals_not_retried():
            return await self._promotion(input.promotion_number).execute_update(
                PromotionWorkflow.release_seat,
                input,
                id=_update_id("release-seat", input.dossier_id),
            )

    def _promotion(self, number: int) -> WorkflowHandle[PromotionWorkflow, None]:
        return self._client.get_workflow_handle_for(
            PromotionWorkflow.run, promotion_workflow_id(number)
        )


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
            f"promotion refused the update: {message}", type=PROMOTION_REFUSED, non_retryable=True
        ) from error
