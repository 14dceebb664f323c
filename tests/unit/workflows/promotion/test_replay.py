"""Determinism: the committed promotion histories replay against the current workflow code.

The histories in tests/fixtures/workflow_histories/promotion_*.json stand for the promotion
already running; a change that would make them diverge fails here before it reaches a worker.
To record histories, see ``tests/unit/workflows/promotion/record_histories.py``.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.unit.workflows.promotion.record_histories import HISTORIES_DIR, history_path
from workflows.promotion.models import PromotionInput
from workflows.promotion.workflows import PromotionWorkflow

HISTORIES = sorted(HISTORIES_DIR.glob("promotion_*.json"))


def load_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


# Unsandboxed: the sandbox would re-import this test module; determinism is checked either way.
@workflow.defn(name="PromotionWorkflow", sandboxed=False)
class PromotionWorkflowThatWaitsFirst(PromotionWorkflow):
    """A careless change: a timer before the calendar loop, without ``workflow.patched``."""

    @workflow.run
    async def run(self, input: PromotionInput) -> None:
        await workflow.sleep(timedelta(minutes=1))
        await super().run(input)


class TestCommittedHistories:
    def test_the_promotion_has_a_recorded_history(self) -> None:
        assert history_path() in HISTORIES

    @pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
    async def test_the_history_replays_against_the_current_workflow(self, path: Path) -> None:
        replayer = Replayer(workflows=[PromotionWorkflow], data_converter=pydantic_data_converter)

        result = await replayer.replay_workflow(load_history(path))

        assert result.replay_failure is None

    async def test_a_non_deterministic_change_fails_the_replay(self) -> None:
        replayer = Replayer(
            workflows=[PromotionWorkflowThatWaitsFirst], data_converter=pydantic_data_converter
        )

        with pytest.raises(workflow.NondeterminismError):
            await replayer.replay_workflow(load_history(history_path()))
