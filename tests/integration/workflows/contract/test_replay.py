"""Determinism: the committed contract histories replay against the current workflow code.

The histories in tests/fixtures/workflow_histories/contract_*.json stand for contracts already
running; a code change that would make them diverge fails here before it reaches a worker.
To record histories, see ``tests/integration/workflows/contract/record_histories.py``.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.integration.workflows.contract.record_histories import (
    HISTORIES_DIR,
    SCENARIOS,
    scenario_path,
)
from workflows.contract.models import ContractInput, ContractOutcome
from workflows.contract.workflows import CONTRACT_WORKFLOWS, ContractWorkflow

HISTORIES = sorted(HISTORIES_DIR.glob("contract_*.json"))


def load_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


# Unsandboxed: the sandbox would re-import this test module; determinism is checked either way.
@workflow.defn(name="ContractWorkflow", sandboxed=False)
class ContractWorkflowThatWaitsFirst(ContractWorkflow):
    """A careless change: a timer before loading the pay policy, without ``workflow.patched``."""

    @workflow.run
    async def run(self, input: ContractInput) -> ContractOutcome:
        await workflow.sleep(timedelta(minutes=1))
        return await super().run(input)


def test_every_scripted_scenario_has_a_recorded_history() -> None:
    for name in SCENARIOS:
        assert scenario_path(name) in HISTORIES


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_the_history_replays_against_the_current_workflow(path: Path) -> None:
    replayer = Replayer(workflows=CONTRACT_WORKFLOWS, data_converter=pydantic_data_converter)

    result = await replayer.replay_workflow(load_history(path))

    assert result.replay_failure is None


async def test_a_non_deterministic_change_fails_the_replay() -> None:
    replayer = Replayer(
        workflows=[ContractWorkflowThatWaitsFirst], data_converter=pydantic_data_converter
    )

    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load_history(scenario_path("contract_full_path")))
