"""The OpenAPI fuzzer finds nothing: every service, every check and phase, with a staff token.

A short, seeded run against the whole local stack (real Temporal, broker and database), without
the coverage phase and with two examples per operation (they bound the stateful phase's
scenarios too): about 40 s for every service on two busy cores. One service at a time: each run
is CPU-bound, running them side by side was slower. The long run, every phase, is ``make fuzz``
(``python -m bench.fuzz``).
"""

import pytest

from tests.e2e.conftest import StaffHeaders
from tests.local_stack import RunningStack
from tests.openapi_fuzz import QUICK_PHASES, SERVICES, fuzz

pytestmark = pytest.mark.e2e

SEED = 20260
MAX_EXAMPLES = 2


@pytest.mark.parametrize("service", SERVICES)
async def test_the_fuzzer_finds_no_server_error_and_no_answer_off_the_document(
    stack: RunningStack, staff_headers: StaffHeaders, service: str
) -> None:
    token = staff_headers["admin"]["Authorization"].removeprefix("Bearer ")

    run = await fuzz(
        service,
        stack.urls[service],
        token,
        max_examples=MAX_EXAMPLES,
        seed=SEED,
        phases=QUICK_PHASES,
    )

    assert run.passed, run.output
