"""The applications → workflows bridge: each accepted application gets one dossier workflow.

The offset of an application message is committed only once Temporal has the dossier's
workflow (or the message was dead-lettered), so a crash re-reads it; re-reading is harmless
because the workflow id is the dossier id and a second start finds the first workflow.
"""

import logging
from dataclasses import dataclass
from typing import Any, Self

from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from libs.kafka import Handler, RetryPolicy, subscribe_events
from libs.messages.applications import (
    BetaGouvPhase,
    CandidateApplicationSubmitted,
    ProjectApplicationSubmitted,
)
from libs.messages.dossier_events import DossierStatus
from libs.messages.topics import APPLICATIONS, WORKFLOWS_BRIDGE_DLQ
from workflows.dossier.models import DossierInput, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.search_attributes import DOSSIER_KIND, DOSSIER_STATUS
from workflows.settings import WorkflowsSettings

logger = logging.getLogger(__name__)

# Temporal being unreachable is transient: retry for about a quarter of an hour, longer than
# a restart, rather than dead-letter an accepted application; past that, the message is set
# aside (replayable) so one start Temporal refuses for good never holds the partition, and
# the reconciler republishes the dossier meanwhile.
BRIDGE_RETRY_POLICY = RetryPolicy(max_attempts=30, initial_delay=0.5, max_delay=30.0)

WORKFLOWS_STARTED = Counter(
    "eig_workflows_bridge_started",
    "Dossier workflows started by the applications bridge",
    ["kind"],
)
WORKFLOWS_ALREADY_EXISTING = Counter(
    "eig_workflows_bridge_already_existing",
    "Application messages whose dossier workflow already existed (replayed messages)",
    ["kind"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "eig_workflows_bridge_dead_lettered",
    "Application messages the bridge sent to its dead-letter topic",
)


@dataclass(frozen=True)
class DossierDefaults:
    """What every new dossier gets from the process's settings rather than from its form."""

    promotion_number: int = 7
    stage_deadline_days: int = 14
    offer_validity_days: int = 10
    offer_reminder_days: int = 3

    @classmethod
    def from_settings(cls, settings: WorkflowsSettings) -> Self:
        return cls(
            promotion_number=settings.CURRENT_PROMOTION_NUMBER,
            stage_deadline_days=settings.STAGE_DEADLINE_DAYS,
            offer_validity_days=settings.CONTRACT_OFFER_VALIDITY_DAYS,
            offer_reminder_days=settings.CONTRACT_OFFER_REMINDER_DAYS,
        )


def dossier_input(
    event: CandidateApplicationSubmitted | ProjectApplicationSubmitted,
    defaults: DossierDefaults = DossierDefaults(),
) -> DossierInput:
    """What the workflow keeps of an application: who to tell, what to call the dossier, and
    the facts its stages depend on (role, profiles wanted, whether it needs an investigation)."""
    common = {
        "dossier_id": event.dossier_id,
        "kind": event.kind,
        "title": event.payload.title,
        "contact": event.payload.contact,
        "submitted_at": event.occurred_at,
        "promotion_number": defaults.promotion_number,
        "stage_deadline_days": defaults.stage_deadline_days,
    }
    if isinstance(event, CandidateApplicationSubmitted):
        return DossierInput(
            **common,
            role=event.payload.role,
            years_of_experience=event.payload.years_of_experience,
            offer_validity_days=defaults.offer_validity_days,
            offer_reminder_days=defaults.offer_reminder_days,
        )
    project = event.payload
    return DossierInput(
        **common,
        profiles_wanted=list(project.profiles_wanted),
        administration_name=project.administration_name,
        # beta.gouv.fr vouches for a project that is in its approach and has a product page;
        # any other project is investigated before it can be evaluated.
        requires_investigation=(
            project.beta_gouv_phase == BetaGouvPhase.NONE or project.beta_gouv_product_url is None
        ),
    )


async def start_dossier_workflow(
    client: Client,
    task_queue: str,
    event: CandidateApplicationSubmitted | ProjectApplicationSubmitted,
    defaults: DossierDefaults = DossierDefaults(),
) -> bool:
    """Start the dossier's workflow; True if this call started it, False if it already existed.

    USE_EXISTING makes a start against a running workflow return that workflow instead of
    failing; REJECT_DUPLICATE refuses a new run once the dossier's workflow has closed. Either
    way a dossier never gets a second workflow, however often its application is replayed.
    """
    workflow_class = DOSSIER_WORKFLOWS[event.kind]
    try:
        handle = await client.start_workflow(
            workflow_class.run,
            dossier_input(event, defaults),
            id=dossier_workflow_id(event.dossier_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # Searchable from the start; the workflow itself upserts them on every change.
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(DOSSIER_KIND, event.kind.value),
                    SearchAttributePair(DOSSIER_STATUS, DossierStatus.RECEIVED.value),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        return False
    return _started_by_this_call(handle)


def _started_by_this_call(handle: WorkflowHandle[Any, Any]) -> bool:
    # The server says whether the start created a run or found the running one (``started``),
    # but the SDK only keeps that answer on a private attribute; without it, assume started
    # (it only feeds a metric and a log line: the one-workflow guarantee does not depend on it).
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", True))


def subscribe_bridge(
    broker: KafkaBroker,
    client: Client,
    *,
    task_queue: str,
    group_id: str,
    defaults: DossierDefaults = DossierDefaults(),
) -> None:
    """Register the bridge's consumer of ``eig.applications.v1`` on ``broker``."""

    async def on_application_submitted(
        event: CandidateApplicationSubmitted | ProjectApplicationSubmitted,
    ) -> None:
        if await start_dossier_workflow(client, task_queue, event, defaults):
            WORKFLOWS_STARTED.labels(kind=event.kind.value).inc()
            logger.info("dossier %s: workflow started", event.dossier_id)
        else:
            WORKFLOWS_ALREADY_EXISTING.labels(kind=event.kind.value).inc()
            logger.info("dossier %s: workflow already exists", event.dossier_id)

    subscribe_events(
        broker,
        APPLICATIONS,
        [
            Handler(CandidateApplicationSubmitted, on_application_submitted),
            Handler(ProjectApplicationSubmitted, on_application_submitted),
        ],
        consumer="workflows-bridge",
        group_id=group_id,
        dlq_topic=WORKFLOWS_BRIDGE_DLQ,
        retry=BRIDGE_RETRY_POLICY,
        on_dead_letter=lambda _error: MESSAGES_DEAD_LETTERED.inc(),
    )
