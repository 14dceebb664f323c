"""A small chaos drill: applications while the broker (memory only) and the worker are killed.

The stack is the test's own (the drill kills its parts). Each applicant confirms the e-mail
address through the confirmation request's link as soon as it arrives (ADR 24). Nothing
accepted may be lost, nothing sent twice: every application has exactly one confirmation
request, its workflow and exactly one acknowledgement, including those whose request,
submission or ``received`` event was in the broker when it died (ADR 14). No timing is
asserted: ``bench.chaos`` waits on the counts, bounded generously.
"""

from pathlib import Path

import pytest

from bench.chaos import Fault, run

pytestmark = pytest.mark.e2e


async def test_nothing_is_lost_or_doubled_when_the_broker_and_the_worker_die(
    tmp_path: Path,
) -> None:
    plan = (Fault(1, "kafka"), Fault(3, "workflows"))

    # A quick reconciler, as the shared stack's (tests/e2e/conftest.py): what the broker lost
    # with its memory comes back in seconds, not after the production grace of two minutes.
    quick = {"RECONCILE_INTERVAL_SECONDS": "2", "RECONCILE_GRACE_SECONDS": "3"}

    outcome = await run(
        30, 10, plan, workdir=tmp_path, wait_s=600, within_s=float("inf"), settings=quick
    )

    assert outcome.accepted == 30
    assert outcome.confirmation_requests == 30
    assert outcome.confirmed == 30
    assert outcome.workflows == 30
    assert outcome.acknowledged == 30
    assert outcome.duplicates == 0
    assert [fault.part for fault in outcome.faults] == ["kafka", "workflows"]
    assert all(fault.ended is not None for fault in outcome.faults)
    assert outcome.failed_checks == []
