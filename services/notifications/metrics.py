"""Prometheus metrics of the notifications service (registered once per process)."""

from prometheus_client import Counter

SENT = Counter(
    "eig_notifications_sent", "E-mails accepted by the SMTP server, by template", ["template"]
)
SKIPPED_DUPLICATES = Counter(
    "eig_notifications_skipped_duplicates", "Redelivered or replayed events that sent nothing"
)
WITHOUT_TEMPLATE = Counter(
    "eig_notifications_without_template", "Events whose status is not e-mailed", ["status"]
)
SMTP_FAILURES = Counter("eig_notifications_smtp_failures", "Failed attempts to send an e-mail")
DEAD_LETTERED = Counter(
    "eig_notifications_dead_lettered", "Events sent to the notifications dead-letter topic"
)
