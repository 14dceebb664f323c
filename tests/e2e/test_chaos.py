"""A small chaos drill: applications while the broker (memory only) and the worker are killed.

It runs on the shared end-to-end stack (tests/e2e/conftest.py, whose reconciler is quick:
what the broker lost with its memory comes back in seconds, not after the production grace of
two minutes); the supervisor restarts what it kills and the drill waits until both are back.
Each applicant confirms the e-mail address through the confirmation request's link as soon as
it arrives (ADR 24). Nothing accepted may be lost, nothing sent twice: every application has
exactly one confirmation request, its workflow and exactly one acknowledgement, including those
whose request, submission or ``received`` event was in the broker when it died (ADR 14). No
timing is asserted: ``bench.chaos`` waits on the counts, bounded generously.
"""

import pytest

from bench.chaos import Fault, drill
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e


# Above the drill's own bound (faults, then ``wait_s``), so that a miss reports its counts.
@pytest.mark.timeout(600)
async def test_nothing_is_lost_or_doubled_when_the_broker_and_the_worker_die(
    stack: RunningStack,
) -> None:
    plan = (Fault(1, "kafka"), Fault(3, "workflows"))

    outcome = await drill(stack, 30, 10, plan, wait_s=240)
    outcome.check(float("inf"))

    assert outcome.accepted == 30
    assert outcome.confirmation_requests == 30
    assert outcome.confirmed == 30
    assert outcome.workflows == 30
    assert outcome.acknowledged == 30
    assert outcome.duplicates == 0
    assert [fault.part for fault in outcome.faults] == ["kafka", "workflows"]
    assert all(fault.ended is not None for fault in outcome.faults)
    assert outcome.failed_checks == []
