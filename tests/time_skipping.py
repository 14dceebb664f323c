"""Skipping time on the time-skipping test server, with a bound sized for a busy machine.

``WorkflowEnvironment.sleep`` sends its request with the SDK's default RPC timeout: the server
answers only once the workflows woken on the way have run their tasks, which on a loaded
2-core machine can take longer than that default. The bound here is a failure limit, not a
wait: the call returns as soon as the server has skipped the time.
"""

from datetime import timedelta

from temporalio.api.testservice.v1 import SleepRequest
from temporalio.testing import WorkflowEnvironment

SKIP_RPC_TIMEOUT = timedelta(minutes=2)


async def skip_time(env: WorkflowEnvironment, duration: timedelta) -> None:
    """Advance the server's clock by ``duration`` (the same as ``env.sleep``)."""
    request = SleepRequest()
    request.duration.FromTimedelta(duration)
    await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_RPC_TIMEOUT)
