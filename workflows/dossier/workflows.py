"""The dossier workflows: one long-running workflow per dossier, the authority on its status.

Deterministic code only: no I/O, no clock, no randomness except through ``workflow.*``. Kafka
is reached through the ``publish_status_change`` activity, called by name so this module never
imports the Kafka client.
"""

import asyncio
from datetime import timedelta
from typing import ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    # Contact's EmailStr imports email_validator lazily, mid-workflow: pass it through up front
    # rather than let the sandbox reload it on every run.
    import email_validator  # noqa: F401

    from libs.messages.common import DossierKind
    from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
    from workflows.dossier.models import (
        PUBLISH_STATUS_CHANGE,
        DossierInput,
        DossierSnapshot,
        PublishStatusChangeInput,
        TimelineEntry,
    )
    from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS

PUBLISH_TIMEOUT = timedelta(seconds=30)
# Publishing is idempotent for consumers (same event id on every attempt), so retrying
# forever is safe and rides out a broker restart.
PUBLISH_RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
)


class DossierWorkflow:
    """What every dossier does, whatever its kind: keep its timeline and announce each change.

    Subclasses only declare their kind and their ``@workflow.run`` method (Temporal requires it
    on the registered class); later stages add their updates, signals and transition table.
    """

    KIND: ClassVar[DossierKind]

    @workflow.init
    def __init__(self, input: DossierInput) -> None:
        self._input = input
        self._timeline: list[TimelineEntry] = []
        self._closed = False
        # Status changes leave in the order they were recorded, even if handlers overlap.
        self._publishing = asyncio.Lock()

    @property
    def _status(self) -> DossierStatus | None:
        return self._timeline[-1].status if self._timeline else None

    @workflow.query
    def snapshot(self) -> DossierSnapshot:
        return DossierSnapshot(
            dossier_id=self._input.dossier_id,
            kind=self._input.kind,
            status=self._status,
            timeline=list(self._timeline),
        )

    async def run(self, input: DossierInput) -> None:
        """The common life of a dossier; subclasses re-declare it with ``@workflow.run``."""
        await self._transition(DossierStatus.RECEIVED)
        # Later stages drive the dossier through updates and signals from here on.
        await workflow.wait_condition(lambda: self._closed)
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _transition(self, to_status: DossierStatus, note: str = "") -> None:
        """Record the new status, make it searchable, and publish it."""
        previous_status = self._status
        now = workflow.now()
        self._timeline.append(TimelineEntry(status=to_status, at=now, note=note))
        workflow.upsert_search_attributes(
            [
                DOSSIER_STATUS.value_set(to_status.value),
                DOSSIER_KIND.value_set(self._input.kind.value),
            ]
        )
        # The event id is drawn from the workflow's deterministic random source and fixed in
        # the activity's input, so every retry re-publishes the same id and consumers dedupe.
        event = DossierStatusChanged(
            event_id=workflow.uuid4(),
            occurred_at=now,
            dossier_id=self._input.dossier_id,
            kind=self._input.kind,
            status=to_status,
            previous_status=previous_status,
            title=self._input.title,
            contact=self._input.contact,
            note=note,
        )
        async with self._publishing:
            await workflow.execute_activity(
                PUBLISH_STATUS_CHANGE,
                PublishStatusChangeInput(event=event),
                start_to_close_timeout=PUBLISH_TIMEOUT,
                retry_policy=PUBLISH_RETRY_POLICY,
            )


@workflow.defn
class CandidateDossierWorkflow(DossierWorkflow):
    """A digital professional's application, from receipt to contract and renewal."""

    KIND = DossierKind.CANDIDATE

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await super().run(input)


@workflow.defn
class ProjectDossierWorkflow(DossierWorkflow):
    """An administration's project ("défi"), from receipt through investigation and selection."""

    KIND = DossierKind.PROJECT

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await super().run(input)


DOSSIER_WORKFLOWS: dict[DossierKind, type[DossierWorkflow]] = {
    workflow_class.KIND: workflow_class
    for workflow_class in (CandidateDossierWorkflow, ProjectDossierWorkflow)
}
"""The workflow that owns each kind of dossier."""
