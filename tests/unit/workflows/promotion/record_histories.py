"""Record promotion workflow histories for the replay tests (tests/fixtures/workflow_histories/).

    .venv/bin/python -m tests.unit.workflows.promotion.record_histories

The history is one promotion run on the time-skipping server going through everything the
workflow does: rounds added, dossiers enrolled or waiting, a waiter signalled (its workflow is
gone), seats reserved, refused and released, a dossier leaving its round, contracts numbered,
rounds deliberating and closing on their timers. (``promotion_rounds_and_seats.json`` was
recorded before leaving rounds and numbering contracts; ``..._contract_numbers.json`` after;
``..._round_opened_to_seekers.json`` once an added round is told to waiting dossiers by the
``tell_round_opened`` activity, ADR 15 — the time-skipping server has no visibility listing,
so that activity fails there, which the workflow logs.)
The replay tests replay it against the current code, so a change that would break the running
promotion fails them.

Keep the histories already committed: they stand for the promotion running in production. A
change meant to alter what the workflow does must still replay them (guard it with
``workflow.patched``); record new files next to them (``--suffix``) to cover the new path.
"""

import argparse
import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from deploy.local.engines import temporal_test_server_binary
from libs.messages.common import DossierKind
from tests.eventually import eventually
from tests.time_skipping import skip_time
from tests.unit.workflows.promotion.promotions import PromotionHandle, promotion_worker, round_plan
from workflows.promotion.models import (
    ADD_ROUND,
    ContractNumberInput,
    EnrolInput,
    LeaveRoundInput,
    PromotionInput,
    RoundState,
    SeatInput,
    promotion_workflow_id,
)
from workflows.promotion.workflows import PromotionWorkflow

HISTORIES_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "workflow_histories"
RECORDED_NUMBER = 7

# Fixed dossier ids: a re-recording carries the same inputs as the committed files.
PROJECT_DOSSIER = uuid.UUID("00000000-0000-4000-8000-0000000070b1")
CANDIDATE_DOSSIER = uuid.UUID("00000000-0000-4000-8000-0000000070c1")
SEAT_HOLDERS = [uuid.UUID(f"00000000-0000-4000-8000-00000000705{index}") for index in range(3)]
CONTRACTS = [uuid.UUID(f"00000000-0000-4000-8000-0000000070d{index}") for index in range(2)]


def history_path(suffix: str = "") -> Path:
    return HISTORIES_DIR / f"promotion_rounds_and_seats{suffix}.json"


async def record(env: WorkflowEnvironment, suffix: str = "") -> Path:
    task_queue = f"record-histories-{uuid.uuid4()}"
    now = await env.get_current_time()
    number = RECORDED_NUMBER
    project_round = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=10))
    later_project_round = round_plan(number, DossierKind.PROJECT, now, cutoff_in=timedelta(days=70))
    async with promotion_worker(env.client, task_queue):
        handle = await env.client.start_workflow(
            PromotionWorkflow.run,
            PromotionInput(
                number=number, year=2026, seat_cap=2, rounds=[project_round, later_project_round]
            ),
            id=f"{promotion_workflow_id(number)}-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        await handle.execute_update(
            PromotionWorkflow.enrol,
            EnrolInput(
                promotion_number=number,
                dossier_id=PROJECT_DOSSIER,
                kind=DossierKind.PROJECT,
                not_before=now,
            ),
        )
        candidate = EnrolInput(
            promotion_number=number,
            dossier_id=CANDIDATE_DOSSIER,
            kind=DossierKind.CANDIDATE,
            not_before=now,
        )
        await handle.execute_update(PromotionWorkflow.enrol, candidate)  # waits: no round
        await handle.execute_update(
            ADD_ROUND,
            round_plan(number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=20)),
        )
        for dossier_id in SEAT_HOLDERS:  # the third is refused: two seats
            await handle.execute_update(
                PromotionWorkflow.reserve_seat,
                SeatInput(promotion_number=number, dossier_id=dossier_id),
            )
        await handle.execute_update(
            PromotionWorkflow.release_seat,
            SeatInput(promotion_number=number, dossier_id=SEAT_HOLDERS[0]),
        )
        await handle.execute_update(
            PromotionWorkflow.leave_round,
            LeaveRoundInput(promotion_number=number, dossier_id=PROJECT_DOSSIER),
        )
        for contract_id in [*CONTRACTS, CONTRACTS[0]]:  # the repeated one keeps its number
            await handle.execute_update(
                PromotionWorkflow.allocate_contract_number,
                ContractNumberInput(promotion_number=number, contract_id=contract_id),
            )
        await skip_time(env, timedelta(days=11))
        await eventually(lambda: _round_is(handle, project_round.round_id, RoundState.DELIBERATING))
        await skip_time(env, timedelta(days=14))
        await eventually(lambda: _round_is(handle, project_round.round_id, RoundState.CLOSED))
        history = await _history_once_idle(handle)
        await handle.terminate()
    path = history_path(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")
    return path


async def _round_is(handle: PromotionHandle, round_id: str, state: RoundState) -> bool:
    detail = await handle.query(PromotionWorkflow.round_detail, round_id)
    return detail is not None and detail.round.state == state


async def _history_once_idle(handle: PromotionHandle) -> WorkflowHistory:
    """The history once no workflow task is pending (only its commands follow the last one)."""

    async def idle() -> WorkflowHistory | None:
        history = await handle.fetch_history()
        types = [event.event_type for event in history.events]
        last_completed = max(
            index
            for index, event_type in enumerate(types)
            if event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        pending = EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED in types[last_completed:]
        return None if pending else history

    history = await eventually(idle)
    assert history is not None
    return history


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suffix", default="", help="appended to file names, e.g. _v2")
    arguments = parser.parse_args()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_binary(),
        data_converter=pydantic_data_converter,
    )
    try:
        print(f"recorded {await record(env, arguments.suffix)}")  # noqa: T201 - a CLI's output
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
