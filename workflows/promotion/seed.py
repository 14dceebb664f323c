"""Seeding: the current promotion's workflow exists, with a year of rounds, on every start.

Idempotent: a running promotion is left as it is (its calendar, seats and enrolments are its
own from then on); the settings only shape a promotion started for the first time.
"""

import logging
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.promotion.calendar import bimonthly_calendar, first_cutoff_after
from workflows.promotion.models import PromotionInput, promotion_workflow_id
from workflows.promotion.workflows import PromotionWorkflow
from workflows.settings import WorkflowsSettings

logger = logging.getLogger(__name__)

SEEDED_CUTOFFS = 6
"""Cut-off dates seeded, two months apart: the next twelve months, one round of each kind each."""


def current_promotion_input(settings: WorkflowsSettings, now: datetime) -> PromotionInput:
    """The current promotion with its calendar for the twelve months after ``now``.

    The first cut-off is the end of the current month if it is even and still ahead, otherwise
    the end of the next even month (``first_cutoff_after``); five more follow, two months apart.
    """
    number = settings.CURRENT_PROMOTION_NUMBER
    return PromotionInput(
        number=number,
        year=settings.CURRENT_PROMOTION_YEAR,
        seat_cap=settings.PROMOTION_SEAT_CAP,
        rounds=bimonthly_calendar(
            number,
            settings.CURRENT_PROMOTION_YEAR,
            first_cutoff=first_cutoff_after(now),
            count=SEEDED_CUTOFFS,
        ),
    )


async def ensure_current_promotion(
    client: Client,
    task_queue: str,
    settings: WorkflowsSettings,
    *,
    now: datetime | None = None,
) -> WorkflowHandle[PromotionWorkflow, None]:
    """Start the current promotion's workflow unless it already runs; return its handle.

    USE_EXISTING returns the running workflow instead of failing. REJECT_DUPLICATE refuses a
    new run of a promotion whose workflow has ended (it held the seats: a fresh, empty one
    could exceed the cap), which is logged and left to an operator.
    """
    promotion = current_promotion_input(settings, now or datetime.now(UTC))
    workflow_id = promotion_workflow_id(promotion.number)
    try:
        handle = await client.start_workflow(
            PromotionWorkflow.run,
            promotion,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        logger.error(
            "promotion %s: its workflow has ended and is not restarted (seats would be lost)",
            promotion.number,
        )
        return client.get_workflow_handle_for(PromotionWorkflow.run, workflow_id)
    logger.info("promotion %s: workflow %s running", promotion.number, workflow_id)
    return handle
