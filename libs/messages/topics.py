"""Topic names and consumer groups: the only place they are spelled.

Names are ``eig.<stream>.v<schema major>``; a breaking schema change gets a new topic.
"""

from typing import Final

APPLICATIONS: Final = "eig.applications.v1"
"""Applications, relayed from intake's outbox: received (to confirm), then submitted once
confirmed. Key: dossier id."""

DOSSIER_EVENTS: Final = "eig.dossier-events.v1"
"""Every dossier status change, published by the dossier workflows. Key: dossier id."""

CONTRACT_EVENTS: Final = "eig.contract-events.v1"
"""Every contract status change, offer reminder and renewal decision, published by the
contract workflows. Key: the candidate's dossier id."""

NOTIFICATIONS_DLQ: Final = "eig.notifications.dlq.v1"
"""Received applications, dossier and contract events whose e-mail could not be sent after the
last attempt."""

WORKFLOWS_BRIDGE_DLQ: Final = "eig.workflows-bridge.dlq.v1"
"""Application messages the bridge cannot turn into a workflow (poison messages)."""

INTAKE_STATUS_VIEW_DLQ: Final = "eig.intake-status-view.dlq.v1"
"""Dossier events the applicant status view cannot read (poison messages)."""

SELECTION_READ_MODEL_DLQ: Final = "eig.selection-read-model.dlq.v1"
"""Applications and dossier events the staff read model (selection) cannot read."""

CONTRACTS_READ_MODEL_DLQ: Final = "eig.contracts-read-model.dlq.v1"
"""Contract events the contracts read model cannot read (poison messages)."""

PUBLIC_RESULTS_DLQ: Final = "eig.intake-public-results.dlq.v1"
"""Dossier and contract events the public results (intake) cannot read (poison messages)."""

BROKER_EPOCH: Final = "eig.broker-epoch.v1"
"""Offset 0 holds the broker's epoch id (libs.broker_epoch): a different or missing one means
the broker lost its data and the outbox relays publish again (docs/adr/0014)."""

# Partition counts: keyed by dossier id, so ordering holds per dossier; three partitions
# let three consumers of a group share the load. Dead-letter topics are low volume.
PARTITIONS: Final[dict[str, int]] = {
    APPLICATIONS: 3,
    DOSSIER_EVENTS: 3,
    CONTRACT_EVENTS: 3,
    NOTIFICATIONS_DLQ: 1,
    WORKFLOWS_BRIDGE_DLQ: 1,
    INTAKE_STATUS_VIEW_DLQ: 1,
    SELECTION_READ_MODEL_DLQ: 1,
    CONTRACTS_READ_MODEL_DLQ: 1,
    PUBLIC_RESULTS_DLQ: 1,
    BROKER_EPOCH: 1,
}


class ConsumerGroups:
    """Consumer group ids; one per reading purpose, so each keeps its own offsets."""

    WORKFLOWS_BRIDGE: Final = "workflows-bridge"
    NOTIFICATIONS: Final = "notifications"
    INTAKE_STATUS_VIEW: Final = "intake-status-view"
    SELECTION_READ_MODEL: Final = "selection-read-model"
    CONTRACTS_READ_MODEL: Final = "contracts-read-model"
    NOTIFICATIONS_CONTRACTS: Final = "notifications-contracts"
    """Contract e-mails: its own group, so contract and dossier offsets never mix."""
    NOTIFICATIONS_APPLICATIONS: Final = "notifications-applications"
    """The e-mail address confirmation requests (``ApplicationReceived``)."""
    SELECTION_READ_MODEL_APPLICATIONS: Final = "selection-read-model-applications"
    """The staff read model's applications consumer (selection derives it as
    ``<SELECTION_READ_MODEL>-applications``, so each topic keeps its own offsets)."""
    INTAKE_PUBLIC_RESULTS: Final = "intake-public-results"
    """The public results' dossier events consumer (intake, ``GET /resultats``)."""
    INTAKE_PUBLIC_RESULTS_CONTRACTS: Final = "intake-public-results-contracts"
    """The public results' contract events consumer: its own group, so each topic keeps its
    own offsets."""
    OPS_DEAD_LETTERS: Final = "ops-dead-letters"
    """Never consumes: its committed offset on each dead-letter topic marks what operators
    have replayed or discarded (docs/adr/0012)."""


DEAD_LETTER_TOPICS: Final = (
    WORKFLOWS_BRIDGE_DLQ,
    NOTIFICATIONS_DLQ,
    INTAKE_STATUS_VIEW_DLQ,
    SELECTION_READ_MODEL_DLQ,
    CONTRACTS_READ_MODEL_DLQ,
    PUBLIC_RESULTS_DLQ,
)

CONSUMED_TOPICS: Final[dict[str, tuple[str, ...]]] = {
    ConsumerGroups.WORKFLOWS_BRIDGE: (APPLICATIONS,),
    ConsumerGroups.SELECTION_READ_MODEL_APPLICATIONS: (APPLICATIONS,),
    ConsumerGroups.NOTIFICATIONS: (DOSSIER_EVENTS,),
    ConsumerGroups.NOTIFICATIONS_APPLICATIONS: (APPLICATIONS,),
    ConsumerGroups.INTAKE_STATUS_VIEW: (DOSSIER_EVENTS,),
    ConsumerGroups.SELECTION_READ_MODEL: (DOSSIER_EVENTS,),
    ConsumerGroups.NOTIFICATIONS_CONTRACTS: (CONTRACT_EVENTS,),
    ConsumerGroups.CONTRACTS_READ_MODEL: (CONTRACT_EVENTS,),
    ConsumerGroups.INTAKE_PUBLIC_RESULTS: (DOSSIER_EVENTS,),
    ConsumerGroups.INTAKE_PUBLIC_RESULTS_CONTRACTS: (CONTRACT_EVENTS,),
    ConsumerGroups.OPS_DEAD_LETTERS: DEAD_LETTER_TOPICS,
}
"""Which topics each consumer group reads: what consumer lag is measured on."""


class Headers:
    """Kafka header names set by producers and dead-letter publishers."""

    EVENT_TYPE: Final = "eig-event-type"
    SCHEMA_VERSION: Final = "eig-schema-version"
    DLQ_ERROR: Final = "eig-dlq-error"
    DLQ_SOURCE_TOPIC: Final = "eig-dlq-source-topic"
    DLQ_SOURCE_OFFSET: Final = "eig-dlq-source-offset"
    TRACEPARENT: Final = "traceparent"
    """The W3C trace context of the work that published the record (libs.tracing, ADR 21):
    kept on dead letters and replays, so they stay in their submission's trace."""
    REPLAYED_FROM: Final = "eig-replayed-from"
    """On a message an operator replayed: ``<dead-letter topic>:<partition>:<offset>``."""
