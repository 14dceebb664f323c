"""``python -m workflows``: Temporal worker and applications bridge, until SIGINT or SIGTERM."""

import asyncio
import logging
import signal

from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig

from libs.observability import configure_logging
from workflows.settings import WorkflowsSettings
from workflows.worker import run


def route_temporal_core_logs_through_python_logging() -> None:
    """One JSON log stream: the Temporal core's lines are sent to the root logger too."""
    # The Temporal core (Rust) writes its own lines unless told to forward them.
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    Runtime.set_default(
        Runtime(
            telemetry=TelemetryConfig(logging=LoggingConfig(filter="WARN", forwarding=forwarding))
        )
    )


async def main() -> None:
    settings = WorkflowsSettings()
    configure_logging("workflows", settings.LOG_LEVEL)
    route_temporal_core_logs_through_python_logging()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    await run(settings, stop)


if __name__ == "__main__":
    asyncio.run(main())
