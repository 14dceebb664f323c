"""The workflows process's Prometheus metrics (its outbox relay; the SDK's are its own)."""

from prometheus_client import Counter, Gauge

from libs.outbox.relay import RelayMetrics

OUTBOX_METRICS = RelayMetrics(
    pending=Gauge(
        "workflows_outbox_pending", "Workflow events in the outbox not yet acknowledged by Kafka"
    ),
    oldest_age=Gauge(
        "workflows_outbox_oldest_age_seconds",
        "Age of the oldest workflow event not yet acknowledged by Kafka (0 when none)",
    ),
    published=Counter("workflows_outbox_published_total", "Workflow events published to Kafka"),
    failures=Counter(
        "workflows_outbox_publish_failures_total", "Workflow event publish attempts that failed"
    ),
    republished=Counter(
        "workflows_outbox_republished_total",
        "Workflow events published again because the broker lost them (a new broker epoch)",
    ),
    producer_resets=Counter(
        "workflows_outbox_producer_resets_total",
        "Times the outbox relay replaced its Kafka producer after repeated failures",
    ),
)
