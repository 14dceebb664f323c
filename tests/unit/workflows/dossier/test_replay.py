"""Determinism: the committed histories replay against the current workflow code.

The histories in tests/fixtures/workflow_histories/ stand for dossiers already running; a code
change that would make them diverge (non-determinism) fails here before it reaches a worker.
To record histories, see ``tests/unit/workflows/dossier/record_histories.py``.
"""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandIns,
    legacy_dossier,
    wait_until_idle,
)
from tests.unit.workflows.dossier.record_histories import (
    HISTORIES_DIR,
    SCENARIOS,
    history_path,
    scenario_path,
)
from workflows.dossier.models import (
    APPLY_ACTION,
    ActionRequest,
    ActionResult,
    DossierInput,
    dossier_workflow_id,
)
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow

HISTORIES = sorted(HISTORIES_DIR.glob("*_dossier_*.json"))  # promotion ones: see promotion/


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


@workflow.defn(name="CandidateDossierWorkflow", sandboxed=False)
class CandidateDossierWorkflowBeforeTheStages(DossierWorkflow):
    """The code the committed ``*_received`` histories were recorded with: receipt, then wait."""

    KIND = DossierKind.CANDIDATE

    @workflow.run
    async def run(self, input: DossierInput) -> None:
        await self._transition(DossierStatus.RECEIVED)
        await workflow.wait_condition(lambda: False)


async def start_before_the_stages(
    env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns
) -> WorkflowHandle[DossierWorkflow, None]:
    """A candidate dossier started and left waiting by the code before the stages."""
    dossier = legacy_dossier(DossierKind.CANDIDATE, uuid.uuid4())
    # No workflow cache: the next worker gets the next task at once, not after a sticky timeout.
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[CandidateDossierWorkflowBeforeTheStages],
        activities=stand_ins.activities(),
        max_cached_workflows=0,
    ):
        handle: WorkflowHandle[DossierWorkflow, None] = await env.client.start_workflow(
            "CandidateDossierWorkflow",
            dossier,
            id=dossier_workflow_id(dossier.dossier_id),
            task_queue=task_queue,
        )
        await wait_until_idle(handle)
    return handle


class TestCommittedHistories:
    def test_every_kind_of_dossier_has_a_recorded_history(self) -> None:
        for kind in DossierKind:
            assert history_path(kind) in HISTORIES

    def test_every_scripted_scenario_has_a_recorded_history(self) -> None:
        for name in SCENARIOS:
            assert scenario_path(name) in HISTORIES

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


class TestDossiersStartedBeforeTheStages:
    """What replaying a history that ends idle cannot show: the next task of such a dossier.

    (A replay does not flag commands added after the last recorded task, so the committed
    ``*_received`` histories alone would not notice a missing ``workflow.patched``.)
    """

    async def test_a_running_dossier_stays_received_and_can_still_be_withdrawn(
        self, workflow_env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns
    ) -> None:
        handle = await start_before_the_stages(workflow_env, task_queue, stand_ins)
        async with Worker(
            workflow_env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS_UNDER_TEST,
            activities=stand_ins.activities(),
        ):
            waiting = await handle.query(DossierWorkflow.snapshot)
            result = await handle.execute_update(
                APPLY_ACTION,
                ActionRequest(action="withdraw", actor="applicant"),
                result_type=ActionResult,
            )
            await handle.result()
            done = await handle.query(DossierWorkflow.snapshot)

        assert (waiting.status, waiting.allowed_actions) == (DossierStatus.RECEIVED, ["withdraw"])
        assert result.status == DossierStatus.WITHDRAWN
        assert [entry.status for entry in done.timeline] == [
            DossierStatus.RECEIVED,
            DossierStatus.WITHDRAWN,
        ]
