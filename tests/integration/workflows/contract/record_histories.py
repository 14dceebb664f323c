"""Record contract workflow histories for the replay tests (tests/fixtures/workflow_histories/).

    .venv/bin/python -m tests.integration.workflows.contract.record_histories

Each history is a scripted contract run on its own time-skipping server, with stand-in
numbering and publishing (tests/integration/workflows/contract/contracts.py) and the committed pay
policies. The replay tests replay every ``contract_*.json`` against the current code, so a
change that would break running contracts fails them.

Keep the histories already committed: they stand for contracts running in production. A change
meant to alter what the workflow does must still replay them (guard it with
``workflow.patched``); add a scenario (a new file) to cover the new path.
"""

import argparse
import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.engines import temporal_test_server_binary
from tests.integration.workflows.contract.contracts import (
    ContractHandle,
    early_renewal_path,
    full_path,
    start_contract,
)
from tests.unit.workflows.contract.contracts import contract_input
from tests.unit.workflows.contract.stand_ins import ContractStandIns
from workflows.contract.workflows import CONTRACT_WORKFLOWS

HISTORIES_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "workflow_histories"

# Fixed ids: a re-recording carries the same inputs as the committed files.
CONTRACT_ID = uuid.UUID("00000000-0000-4000-8000-0000000c7001")
DOSSIER_ID = uuid.UUID("00000000-0000-4000-8000-0000000c7002")
EARLY_CONTRACT_ID = uuid.UUID("00000000-0000-4000-8000-0000000c7003")
EARLY_DOSSIER_ID = uuid.UUID("00000000-0000-4000-8000-0000000c7004")


def scenario_path(name: str) -> Path:
    return HISTORIES_DIR / f"{name}.json"


async def record_full_path(env: WorkflowEnvironment, task_queue: str) -> ContractHandle:
    """drafted → offer_sent → accepted → signed → active → renewal_due → renewed → active (v2)
    → renewal_due → not renewed → ended."""
    contract = contract_input(
        10,
        contract_id=CONTRACT_ID,
        dossier_id=DOSSIER_ID,
        selected_at=await env.get_current_time() - timedelta(minutes=1),
    )
    # Unique per recording: the fixed contract id may have been used by an earlier one.
    handle = await start_contract(env, task_queue, contract, id_suffix=f"-{uuid.uuid4().hex[:8]}")
    await full_path(env, handle)
    return handle


async def record_early_renewal(env: WorkflowEnvironment, task_queue: str) -> ContractHandle:
    """drafted → offer_sent → accepted → signed → renewed (decided at once) → active → active
    (v2) → not renewed while active → renewal_due → ended."""
    contract = contract_input(
        10,
        contract_id=EARLY_CONTRACT_ID,
        dossier_id=EARLY_DOSSIER_ID,
        selected_at=await env.get_current_time() - timedelta(minutes=1),
    )
    handle = await start_contract(env, task_queue, contract, id_suffix=f"-{uuid.uuid4().hex[:8]}")
    await early_renewal_path(env, handle)
    return handle


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, str], Awaitable[ContractHandle]]] = {
    "contract_full_path": record_full_path,
    "contract_renewal_decided_early": record_early_renewal,
}
"""File name (without .json) → the scripted run it records."""


async def record(env: WorkflowEnvironment, names: list[str] | None = None) -> list[Path]:
    written = []
    for name in names or list(SCENARIOS):
        task_queue = f"record-contract-histories-{uuid.uuid4()}"
        stand_ins = ContractStandIns()
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=CONTRACT_WORKFLOWS,
            activities=stand_ins.activities(),
        ):
            handle = await SCENARIOS[name](env, task_queue)
            history = await handle.fetch_history()
        path = scenario_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")
        written.append(path)
    return written


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(SCENARIOS), help="repeatable")
    arguments = parser.parse_args()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_binary(),
        data_converter=pydantic_data_converter,
    )
    try:
        for path in await record(env, arguments.only):
            print(f"recorded {path}")  # noqa: T201 - a command-line tool's output
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
