"""Record dossier workflow histories for the replay tests (tests/fixtures/workflow_histories/).

    .venv/bin/python -m tests.unit.workflows.record_histories

Each history is a workflow run on the time-skipping server, with a stand-in publish activity,
up to the point where it waits for the next stage. The replay tests replay these files against
the current code, so a change that would break running dossiers fails them.

Keep the histories already committed: they stand for dossiers running in production. A change
meant to alter what the workflows do must still replay them (guard it with
``workflow.patched``); record new files next to them (``--suffix``) to cover the new path.
"""

import argparse
import asyncio
import json
import uuid
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.engines import register_search_attributes, temporal_test_server_binary
from libs.messages.common import DossierKind
from tests.unit.workflows.dossiers import (
    StandInPublisher,
    sample_dossier,
    wait_until_idle_after_publishing,
)
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.naming import dossier_workflow_id

HISTORIES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "workflow_histories"

# Fixed dossier ids: a re-recording carries the same inputs as the committed files.
RECORDED_DOSSIERS = {
    DossierKind.CANDIDATE: uuid.UUID("00000000-0000-4000-8000-00000000c001"),
    DossierKind.PROJECT: uuid.UUID("00000000-0000-4000-8000-00000000b001"),
}


def history_path(kind: DossierKind, suffix: str = "") -> Path:
    return HISTORIES_DIR / f"{kind.value}_dossier_received{suffix}.json"


async def record(env: WorkflowEnvironment, suffix: str = "") -> list[Path]:
    await register_search_attributes(env.client)
    task_queue = f"record-histories-{uuid.uuid4()}"
    publisher = StandInPublisher()
    written = []
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=list(DOSSIER_WORKFLOWS.values()),
        activities=[publisher.publish_status_change],
    ):
        for kind, dossier_id in RECORDED_DOSSIERS.items():
            handle = await env.client.start_workflow(
                DOSSIER_WORKFLOWS[kind].run,
                sample_dossier(kind, dossier_id),
                id=f"{dossier_workflow_id(dossier_id)}-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            await wait_until_idle_after_publishing(handle)
            history = await handle.fetch_history()
            await handle.terminate()
            path = history_path(kind, suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")
            written.append(path)
    return written


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suffix", default="", help="appended to file names, e.g. _v2")
    arguments = parser.parse_args()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_binary(),
        data_converter=pydantic_data_converter,
    )
    try:
        for path in await record(env, arguments.suffix):
            print(f"recorded {path}")  # noqa: T201 - a command-line tool's output
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
