"""Activities of the dossier workflows: the only place they touch the outside world."""

from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from libs.messages.topics import DOSSIER_EVENTS
from libs.outbox.writer import EventSink
from workflows.dossier.models import (
    DESCRIBE_DOSSIER,
    PUBLISH_DEADLINE_PASSED,
    PUBLISH_STATUS_CHANGE,
    SNAPSHOT,
    DescribeDossierInput,
    DossierSnapshot,
    PublishDeadlinePassedInput,
    PublishStatusChangeInput,
    dossier_workflow_id,
)
from workflows.error_types import ErrorType


class DossierActivities:
    """Activities holding the clients they need; the worker registers ``activities()``."""

    def __init__(self, events: EventSink, client: Client) -> None:
        self._events = events
        self._client = client

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity of the dossier workflows (the promotion's are its own)."""
        return [self.publish_status_change, self.publish_deadline_passed, self.describe_dossier]

    @property
    def events(self) -> EventSink:
        """Where every activity of this worker puts its events (the process's outbox)."""
        return self._events

    @activity.defn(name=PUBLISH_STATUS_CHANGE)
    async def publish_status_change(self, input: PublishStatusChangeInput) -> None:
        """Put the status change on ``eig.dossier-events.v1``, keyed by dossier id.

        Through the outbox (ADR 14): once the row is committed the event cannot be lost, not
        even with the broker's memory. A retry writes the same event id, kept once.
        """
        await self._events.put(DOSSIER_EVENTS, input.event)
        activity.logger.info(
            "queued %s for dossier %s (event %s)",
            input.event.status,
            input.event.dossier_id,
            input.event.event_id,
        )

    @activity.defn(name=PUBLISH_DEADLINE_PASSED)
    async def publish_deadline_passed(self, input: PublishDeadlinePassedInput) -> None:
        """Put the staff reminder on ``eig.dossier-events.v1`` (through the outbox)."""
        await self._events.put(DOSSIER_EVENTS, input.event)
        activity.logger.info(
            "queued deadline of %s for dossier %s (event %s)",
            input.event.status,
            input.event.dossier_id,
            input.event.event_id,
        )

    @activity.defn(name=DESCRIBE_DOSSIER)
    async def describe_dossier(self, input: DescribeDossierInput) -> DossierSnapshot:
        """Another dossier's ``snapshot`` (read-only); DossierNotFound if it has no workflow."""
        handle = self._client.get_workflow_handle(dossier_workflow_id(input.dossier_id))
        try:
            snapshot: DossierSnapshot = await handle.query(SNAPSHOT, result_type=DossierSnapshot)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise ApplicationError(
                    f"dossier {input.dossier_id} not found",
                    type=ErrorType.DOSSIER_NOT_FOUND,
                    non_retryable=True,
                ) from None
            raise
        except WorkflowQueryFailedError as error:
            # A workflow of another type (no snapshot query) is not a dossier either.
            raise ApplicationError(
                f"dossier {input.dossier_id} could not be described: {error}",
                type=ErrorType.DOSSIER_NOT_FOUND,
                non_retryable=True,
            ) from None
        return snapshot
