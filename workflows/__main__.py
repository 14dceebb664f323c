"""``python -m workflows``: Temporal worker and applications bridge, until SIGINT or SIGTERM."""

import asyncio
import logging
import signal

from prometheus_client import REGISTRY
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime

from libs.observability import configure_telemetry
from libs.temporal_metrics import TemporalSdkMetrics
from workflows.settings import WorkflowsSettings
from workflows.worker import run


def set_temporal_runtime() -> TemporalSdkMetrics:
    """One JSON log stream, one /metrics: the Temporal core's log lines go to the root logger,
    its metrics to the process registry (every client of the process uses this runtime)."""
    # The Temporal core (Rust) writes its own lines unless told to forward them.
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    sdk_metrics = TemporalSdkMetrics()
    Runtime.set_default(
        sdk_metrics.runtime(logging=LoggingConfig(filter="WARN", forwarding=forwarding))
    )
    REGISTRY.register(sdk_metrics)
    return sdk_metrics


async def main() -> None:
    settings = WorkflowsSettings()
    configure_telemetry("workflows", settings)
    sdk_metrics = set_temporal_runtime()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    await run(settings, stop, sdk_metrics=sdk_metrics)


if __name__ == "__main__":
    asyncio.run(main())
