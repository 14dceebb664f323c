"""Determinism: the committed histories replay against the current workflow code.

The histories in tests/fixtures/workflow_histories/ stand for dossiers already running; a code
change that would make them diverge (non-determinism) fails here before it reaches a worker.
To record histories, see ``tests/unit/workflows/record_histories.py``.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from libs.messages.common import DossierKind
from tests.unit.workflows.record_histories import HISTORIES_DIR, history_path
from workflows.dossier.models import DossierInput
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow

HISTORIES = sorted(HISTORIES_DIR.glob("*.json"))


def load_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


# Unsandboxed: the sandbox would re-import this test module; determinism is checked either way.
@workflow.defn(name="CandidateDossierWorkflow", sandboxed=False)
class CandidateDossierWorkflowThatWaitsFirst(DossierWorkflow):
    """A careless change: a timer before recording receipt, without ``workflow.patched``."""

    KIND = DossierKind.CANDIDATE

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await workflow.sleep(timedelta(minutes=1))
        await super().run(input)


class TestCommittedHistories:
    def test_every_kind_of_dossier_has_a_recorded_history(self) -> None:
        for kind in DossierKind:
            assert history_path(kind) in HISTORIES

    @pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
    async def test_the_history_replays_against_the_current_workflows(self, path: Path) -> None:
        replayer = Replayer(
            workflows=list(DOSSIER_WORKFLOWS.values()), data_converter=pydantic_data_converter
        )

        result = await replayer.replay_workflow(load_history(path))

        assert result.replay_failure is None

    async def test_a_non_deterministic_change_fails_the_replay(self) -> None:
        replayer = Replayer(
            workflows=[CandidateDossierWorkflowThatWaitsFirst],
            data_converter=pydantic_data_converter,
        )

        with pytest.raises(workflow.NondeterminismError):
            await replayer.replay_workflow(load_history(history_path(DossierKind.CANDIDATE)))
