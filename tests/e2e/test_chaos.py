"""A small chaos drill: applications while the broker (memory only) and the worker are killed.

The stack is the test's own (the drill kills its parts). Nothing accepted may be lost, nothing
sent twice: every application has its workflow and exactly one acknowledgement, including
those whose submission or ``received`` event was in the broker when it died (ADR 13). No
timing is asserted: ``bench.chaos`` waits on the counts, bounded generously.
"""

from pathlib import Path

import pytest

from bench.chaos import Fault, run

pytestmark = pytest.mark.e2e


async def test_nothing_is_lost_or_doubled_when_the_broker_and_the_worker_die(
    tmp_path: Path,
) -> None:
    plan = (Fault(1, "kafka"), Fault(3, "workflows"))

    outcome = await run(30, 10, plan, workdir=tmp_path, wait_s=600, within_s=float("inf"))

    assert outcome.accepted == 30
    assert outcome.workflows == 30
    assert outcome.acknowledged == 30
    assert outcome.duplicates == 0
    assert [fault.part for fault in outcome.faults] == ["kafka", "workflows"]
    assert all(fault.ended is not None for fault in outcome.faults)
    assert outcome.failed_checks == []
