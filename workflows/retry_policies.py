"""Retry policies shared by the workflow families (pure: safe inside the workflow sandbox)."""

from datetime import timedelta

from temporalio.common import RetryPolicy

RETRY_FOREVER = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
)
"""For idempotent calls that must happen whatever the delay (publishing with a fixed event
id, giving a seat back, numbering a contract): they ride out a broker or server restart."""
