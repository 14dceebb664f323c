"""Prometheus metrics of the notifications service (registered once per process)."""

from prometheus_client import Counter, Histogram

SENT = Counter(
    "eig_notifications_sent", "E-mails accepted by the SMTP server, by template", ["template"]
)
SKIPPED_DUPLICATES = Counter(
    "eig_notifications_skipped_duplicates", "Redelivered or replayed events that sent nothing"
)
WITHOUT_TEMPLATE = Counter(
    "eig_notifications_without_template", "Events whose status is not e-mailed", ["status"]
)
CONFIRMATIONS_EXPIRED = Counter(
    "eig_notifications_confirmations_expired",
    "Confirmation requests read after their deadline, so not e-mailed",
)
SMTP_FAILURES = Counter("eig_notifications_smtp_failures", "Failed attempts to send an e-mail")
DEAD_LETTERED = Counter(
    "eig_notifications_dead_lettered", "Events sent to the notifications dead-letter topic"
)
DELIVERY_DELAY = Histogram(
    "eig_notifications_delivery_delay_seconds",
    "From the event's time to the SMTP server's acceptance of its e-mail",
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
