"""``python -m workflows`` as its own process: ready once connected, and a clean stop on signals."""

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from deploy.local.engines import free_port
from libs.messages.topics import APPLICATIONS
from tests.eventually import eventually
from tests.integration.workflows.conftest import start_group_at_end
from tests.unit.workflows.promotion.promotions import unique_promotion_number

pytestmark = pytest.mark.integration


async def test_the_process_becomes_ready_logs_json_and_stops_cleanly_on_sigterm(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    group = f"workflows-bridge-test-{uuid.uuid4()}"
    await start_group_at_end(kafka_bootstrap, group, APPLICATIONS)
    port = free_port()
    environment = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"dossiers-{uuid.uuid4()}",
        "WORKFLOWS_BRIDGE_CONSUMER_GROUP": group,
        "WORKFLOWS_PORT": str(port),
        # Its own promotion: it seeds it on its task queue, which no worker polls once it stops.
        "CURRENT_PROMOTION_NUMBER": str(unique_promotion_number()),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workflows",
        env=environment,
        cwd=tmp_path,  # no stray .env file
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def ready() -> bool:
            async with httpx.AsyncClient(timeout=2) as http:
                try:
                    response = await http.get(f"http://127.0.0.1:{port}/readyz")
                except httpx.TransportError:
                    return False
            return response.status_code == 200

        await eventually(ready, timeout=120)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0
    # Every line is one JSON object (a library printing its own format would break this).
    messages = [json.loads(line)["message"] for line in stderr.decode().splitlines()]
    assert "workflows stopped" in messages
