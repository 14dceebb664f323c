"""Intake's Prometheus metrics (process-wide, like the registry they live in)."""

from prometheus_client import Counter, Gauge

from libs.outbox.relay import RelayMetrics

APPLICATIONS_ACCEPTED = Counter(
    "intake_applications_accepted_total", "Applications accepted (202), by kind", ["kind"]
)
APPLICATIONS_CONFIRMED = Counter(
    "intake_applications_confirmed_total",
    "Applications whose e-mail address was confirmed (their dossier starts), by kind",
    ["kind"],
)
APPLICATIONS_EXPIRED = Counter(
    "intake_applications_expired_total",
    "Applications whose e-mail address was not confirmed in time, deleted by the purge",
)
APPLICATIONS_REJECTED = Counter(
    "intake_applications_rejected_total",
    "Application requests refused with a 4xx, by kind and status code",
    ["kind", "status_code"],
)
OUTBOX_PENDING = Gauge("intake_outbox_pending", "Outbox rows not yet acknowledged by the broker")
OUTBOX_OLDEST_AGE = Gauge(
    "intake_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet acknowledged by the broker (0 when none)",
)
OUTBOX_PUBLISHED = Counter("intake_outbox_published_total", "Outbox rows published to Kafka")
OUTBOX_PUBLISH_FAILURES = Counter(
    "intake_outbox_publish_failures_total", "Outbox publish attempts that failed"
)
OUTBOX_REPUBLISHED = Counter(
    "intake_outbox_republished_total",
    "Outbox rows published again because the broker lost them (a new broker epoch)",
)
OUTBOX_PRODUCER_RESETS = Counter(
    "intake_outbox_producer_resets_total",
    "Times the outbox relay replaced its Kafka producer after repeated failures",
)
OUTBOX_METRICS = RelayMetrics(
    pending=OUTBOX_PENDING,
    oldest_age=OUTBOX_OLDEST_AGE,
    published=OUTBOX_PUBLISHED,
    failures=OUTBOX_PUBLISH_FAILURES,
    republished=OUTBOX_REPUBLISHED,
    producer_resets=OUTBOX_PRODUCER_RESETS,
)
RECONCILER_REPUBLISHED = Counter(
    "intake_reconciler_republished_total",
    "Submissions queued again because their dossier had no workflow",
)
RECONCILER_CONFIRMED = Counter(
    "intake_reconciler_confirmed_total", "Dossiers whose workflow the reconciler confirmed"
)
RECONCILER_GIVEN_UP = Counter(
    "intake_reconciler_given_up_total",
    "Dossiers still without a workflow after RECONCILE_MAX_REPUBLISHES republishes: left to "
    "an operator (make status lists them)",
)
RECONCILER_TEMPORAL_UNREACHABLE = Counter(
    "intake_reconciler_temporal_unreachable_total", "Reconciler rounds cut short by Temporal"
)
STATUS_VIEW_EVENTS = Counter(
    "intake_status_view_events_total",
    "Dossier events read by the status view, by outcome",
    ["outcome"],
)
WITHDRAWALS = Counter(
    "intake_withdrawals_total",
    "Withdrawal requests from applicants, by outcome (withdrawn, already_final, refused, "
    "workflow_not_started, temporal_unavailable, not_found)",
    ["outcome"],
)
PUBLIC_RESULTS_EVENTS = Counter(
    "intake_public_results_events_total",
    "Dossier and contract events read by the public results, by outcome "
    "(counted, not_counted: a replay or an event that counts nothing, dead_lettered)",
    ["outcome"],
)
