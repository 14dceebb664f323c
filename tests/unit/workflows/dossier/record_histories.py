"""Record dossier workflow histories for the replay tests (tests/fixtures/workflow_histories/).

    .venv/bin/python -m tests.unit.workflows.dossier.record_histories [--only NAME]

Each history is a scripted dossier run on the time-skipping server, with stand-in activities
(tests/unit/workflows/dossier/dossiers.py). The replay tests replay every file against the current
code, so a change that would break running dossiers fails them.

Keep the histories already committed: they stand for dossiers running in production. The
``{kind}_dossier_received.json`` files were recorded before the staff-driven stages (receipt,
then waiting) and cannot be recorded again by this code; the scenarios below cover the stages.
A change meant to alter what the workflows do must still replay all of them (guard it with
``workflow.patched``); add a scenario (a new file) to cover the new path.
"""

import argparse
import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.engines import register_search_attributes, temporal_test_server_binary
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus
from tests.eventually import eventually
from tests.time_skipping import skip_time
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandIns,
    act,
    close_dossier,
    sample_dossier,
    sample_round,
    wait_until_idle,
)
from workflows.dossier.models import ROUND_OPENED, DossierSnapshot, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.promotion.models import RoundRef

HISTORIES_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "workflow_histories"

# Fixed dossier ids: a re-recording carries the same inputs as the committed files.
RECORDED_DOSSIERS = {
    DossierKind.CANDIDATE: uuid.UUID("00000000-0000-4000-8000-00000000c001"),
    DossierKind.PROJECT: uuid.UUID("00000000-0000-4000-8000-00000000b001"),
}
PROJECT_ID = uuid.UUID("00000000-0000-4000-8000-00000000b002")
NOT_SELECTED_PROJECT_ID = uuid.UUID("00000000-0000-4000-8000-00000000b004")
CANDIDATE_ID = uuid.UUID("00000000-0000-4000-8000-00000000c002")
MATCHED_PROJECT_ID = uuid.UUID("00000000-0000-4000-8000-00000000b003")

Handle = WorkflowHandle[Any, Any]


def history_path(kind: DossierKind, suffix: str = "") -> Path:
    """A history recorded before the staff-driven stages (``received``, then waiting)."""
    return HISTORIES_DIR / f"{kind.value}_dossier_received{suffix}.json"


def scenario_path(name: str) -> Path:
    return HISTORIES_DIR / f"{name}.json"


@dataclass
class Recording:
    env: WorkflowEnvironment
    task_queue: str
    stand_ins: StandIns

    async def start(self, kind: DossierKind, dossier_id: uuid.UUID, **fields: Any) -> Handle:
        handle: Handle = await self.env.client.start_workflow(
            DOSSIER_WORKFLOWS[kind].run,
            sample_dossier(kind, dossier_id, **fields),
            # Unique per recording: the fixed dossier id may have been used by an earlier one.
            id=f"{dossier_workflow_id(dossier_id)}-{uuid.uuid4().hex[:8]}",
            task_queue=self.task_queue,
        )
        await wait_until_idle(handle)
        return handle

    async def refused(self, handle: Handle, action: str, **payload: Any) -> None:
        try:
            await act(handle, action, **payload)
        except WorkflowUpdateFailedError:
            return
        raise AssertionError(f"{action} was expected to be refused")

    async def until_status(self, handle: Handle, status: DossierStatus) -> None:
        async def reached() -> bool:
            snapshot: DossierSnapshot = await handle.query("snapshot", result_type=DossierSnapshot)
            return snapshot.status == status

        await eventually(reached)
        await wait_until_idle(handle)

    async def past_cutoff(self, handle: Handle, round: RoundRef) -> None:
        """Skip to just after the round's cut-off, once the dossier woke up at it."""
        now = await self.env.get_current_time()
        await skip_time(self.env, round.cutoff_at - now + timedelta(minutes=1))

        async def awake() -> bool:
            snapshot: DossierSnapshot = await handle.query("snapshot", result_type=DossierSnapshot)
            return "record_decision" in snapshot.allowed_actions

        await eventually(awake)
        await wait_until_idle(handle)


async def project_full_path(recording: Recording) -> Handle:
    """Overdue evaluation, investigation, eligible without a round, round opened, defence,
    deferral to the next round, defence again, selection, partnership.

    The committed file was recorded before decisions waited for the round's cut-off: its
    decisions were taken while their round was open (it replays through a ``patched`` guard).
    """
    env, promotion = recording.env, recording.stand_ins.promotion
    handle = await recording.start(DossierKind.PROJECT, PROJECT_ID, requires_investigation=True)
    await skip_time(env, timedelta(days=15))
    await eventually(lambda: _async(bool(recording.stand_ins.deadlines.calls)))
    await wait_until_idle(handle)
    await recording.refused(handle, "record_evaluation", outcome="eligible")
    await act(handle, "request_investigation", note="Pertinence à confirmer")
    await act(handle, "record_investigation", outcome="qualified", note="Pertinent")
    await act(handle, "record_evaluation", outcome="eligible", note="Solide")
    now = await env.get_current_time()
    first = sample_round(DossierKind.PROJECT, "a", cutoff_in_days=30, now=now)
    second = sample_round(DossierKind.PROJECT, "b", cutoff_in_days=90, now=now)
    promotion.open_rounds = [first, second]
    await env.client.get_workflow_handle(handle.id).signal(ROUND_OPENED, first)
    await recording.until_status(handle, DossierStatus.SCHEDULED)
    await act(handle, "record_defence", note="Convaincant")
    promotion.open_rounds = [second]
    await recording.past_cutoff(handle, first)
    await act(handle, "record_decision", decision="deferred", note="Au prochain comité")
    await act(handle, "record_defence")
    await recording.past_cutoff(handle, second)
    await act(handle, "record_decision", decision="selected", note="Unanime")
    await act(handle, "sign_partnership", signed_on="2026-05-04")
    await wait_until_idle(handle)
    return handle


async def project_not_selected_after_cutoff(recording: Recording) -> Handle:
    """Eligible and scheduled, defended while the round is open, a decision refused until the
    cut-off, the wake-up at the cut-off, a deferral, defended again, not selected after the
    next cut-off, then leaving the rounds (final)."""
    env, promotion = recording.env, recording.stand_ins.promotion
    now = await env.get_current_time()
    first = sample_round(DossierKind.PROJECT, "a", cutoff_in_days=3, now=now)
    second = sample_round(DossierKind.PROJECT, "b", cutoff_in_days=60, now=now)
    promotion.open_rounds = [first, second]
    handle = await recording.start(DossierKind.PROJECT, NOT_SELECTED_PROJECT_ID)
    await act(handle, "record_evaluation", outcome="eligible")
    await act(handle, "record_defence", note="Convaincant")
    await recording.refused(handle, "record_decision", decision="selected")
    promotion.open_rounds = [second]
    await recording.past_cutoff(handle, first)
    await act(handle, "record_decision", decision="deferred", note="Au prochain comité")
    await act(handle, "record_defence")
    await recording.past_cutoff(handle, second)
    await act(handle, "record_decision", decision="not_selected", note="Hors priorités")
    await handle.result()
    return handle


async def candidate_full_path(recording: Recording) -> Handle:
    """Review, interview, a refused match, a match, a selection refused for want of seats,
    back to the pool, a match and a selection, then a withdrawal giving the seat back."""
    stand_ins = recording.stand_ins
    now = await recording.env.get_current_time()
    stand_ins.promotion.open_rounds = [
        sample_round(DossierKind.CANDIDATE, "a", cutoff_in_days=30, now=now)
    ]
    stand_ins.promotion.seat_cap = 0
    project = DossierSnapshot(
        dossier_id=MATCHED_PROJECT_ID,
        kind=DossierKind.PROJECT,
        status=DossierStatus.SELECTED,
        title="Détecter la fraude à la TVA",
        profiles_wanted=[Role.TECHNICAL_DIRECTOR],
    )
    stand_ins.directory.snapshots[MATCHED_PROJECT_ID] = project
    handle = await recording.start(DossierKind.CANDIDATE, CANDIDATE_ID)
    await recording.refused(handle, "record_interview", outcome="pool")
    await act(handle, "record_review", outcome="shortlisted", note="Bon profil")
    await act(handle, "record_interview", outcome="pool")
    await recording.refused(handle, "propose_match", project_dossier_id=str(MATCHED_PROJECT_ID))
    stand_ins.directory.snapshots[MATCHED_PROJECT_ID] = project.model_copy(
        update={"status": DossierStatus.PARTNERSHIP_SIGNED}
    )
    await act(handle, "propose_match", project_dossier_id=str(MATCHED_PROJECT_ID))
    await recording.refused(handle, "record_joint_interview", outcome="selected")
    await act(handle, "record_joint_interview", outcome="back_to_pool")
    stand_ins.promotion.seat_cap = 30
    await act(handle, "propose_match", project_dossier_id=str(MATCHED_PROJECT_ID))
    await act(handle, "record_joint_interview", outcome="selected", note="Bienvenue")
    await act(handle, "withdraw", actor="applicant")
    await handle.result()
    return handle


SCENARIOS: dict[str, Callable[[Recording], Awaitable[Handle]]] = {
    "project_dossier_full_path": project_full_path,
    "candidate_dossier_full_path": candidate_full_path,
    "project_dossier_not_selected_after_cutoff": project_not_selected_after_cutoff,
}
"""File name (without .json) → the scripted run it records."""


async def record(env: WorkflowEnvironment, names: list[str] | None = None) -> list[Path]:
    await register_search_attributes(env.client)
    written = []
    for name in names or list(SCENARIOS):
        task_queue = f"record-histories-{uuid.uuid4()}"
        stand_ins = StandIns()
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS_UNDER_TEST,
            activities=stand_ins.activities(),
        ):
            handle = await SCENARIOS[name](Recording(env, task_queue, stand_ins))
            history = await handle.fetch_history()
            await close_dossier(env.client, handle)
        path = scenario_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")
        written.append(path)
    return written


async def _async(value: bool) -> bool:
    return value


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
