"""The seat cap under concurrency, through the staff API, on the Temporal dev server.

Everything real but the browser: the worker of ``python -m workflows`` (dossier and promotion
workflows, their activities writing into a stand-in outbox), the selection app, and a
project taken to ``partnership_signed`` through a round whose cut-off passes during the test.
"""

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from tests.event_sinks import RecordedEvents
from tests.eventually import eventually
from tests.integration.services.selection.selection_app import running_selection
from tests.unit.workflows.dossier.dossiers import sample_dossier
from tests.unit.workflows.promotion.promotions import (
    round_plan,
    start_promotion,
    unique_promotion_number,
)
from workflows.dossier.activities import DossierActivities
from workflows.dossier.models import DossierSnapshot, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.promotion.models import SeatsSummary
from workflows.worker import build_worker

pytestmark = pytest.mark.integration

SEATS = 30
CANDIDATES = 40
ROUND_CUTOFF_IN = timedelta(seconds=8)
"""From the round's creation: long enough for the project to join it (one action), short
enough to wait for; the candidates' review and interview overlap the wait."""
UNAVAILABLE_RETRIES = 20
ARRIVAL_BATCH = 10
"""Candidates arrive ten at a time: each enrols in a round through an update of the promotion
workflow, and Temporal keeps at most 10 updates of one workflow in flight (more are throttled
with back-off). Arrivals are set-up here; only the selections race."""


@dataclass
class StaffApi:
    http: httpx.AsyncClient
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def act(self, dossier_id: uuid.UUID, action: str, **body: Any) -> httpx.Response:
        """Post the action as a careful client does: with an idempotency key, retried with it
        after a 503 (a busy machine can outlast the API's bound on an update), so each action
        applies once whatever the load."""
        headers = {**self.headers("staff"), "Idempotency-Key": str(uuid.uuid4())}
        for _ in range(UNAVAILABLE_RETRIES):
            response = await self.http.post(
                f"/api/v1/dossiers/{dossier_id}/actions/{action}", json=body, headers=headers
            )
            if response.status_code != 503:
                return response
            await asyncio.sleep(float(response.headers["Retry-After"]))  # the API's own pace
        return response

    async def act_on_all(
        self, dossier_ids: list[uuid.UUID], action: str, **body: Any
    ) -> list[httpx.Response]:
        return await asyncio.gather(*(self.act(dossier, action, **body) for dossier in dossier_ids))


async def start_dossier(
    client: Client, task_queue: str, kind: DossierKind, promotion: int
) -> tuple[uuid.UUID, WorkflowHandle[Any, Any]]:
    dossier = sample_dossier(kind, promotion_number=promotion)
    handle = await client.start_workflow(
        DOSSIER_WORKFLOWS[kind].run,
        dossier,
        id=dossier_workflow_id(dossier.dossier_id),
        task_queue=task_queue,
    )
    return dossier.dossier_id, handle


async def reached(
    client: Client, dossier_id: uuid.UUID, status: DossierStatus, *, in_a_round: bool = False
) -> None:
    handle = client.get_workflow_handle(dossier_workflow_id(dossier_id))

    async def probe() -> bool:
        snapshot = await handle.query("snapshot", result_type=DossierSnapshot)
        return snapshot.status == status and (snapshot.round is not None or not in_a_round)

    await eventually(probe, timeout=20)


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def test_forty_simultaneous_selections_take_exactly_the_thirty_seats(
    temporal_dev_server: WorkflowEnvironment,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    client = temporal_dev_server.client
    task_queue = f"seat-cap-{uuid.uuid4()}"
    number = unique_promotion_number()
    round_id = f"{number}-project-short"
    handles: list[WorkflowHandle[Any, Any]] = []

    async with (
        build_worker(client, task_queue, DossierActivities(RecordedEvents(), client)),
        running_selection(
            tmp_path,
            DATABASE_URL=sqlite_url,
            TEMPORAL_ADDRESS=client.service_client.config.target_host,
            SELECTION_READ_MODEL_ENABLED=False,
        ) as (_selection, http, tokens),
    ):
        api = StaffApi(http, tokens)
        try:
            # A candidate round far ahead: each candidate enrols once, on arrival, and its
            # later actions leave the promotion alone.
            now = await temporal_dev_server.get_current_time()
            candidate_round = round_plan(
                number, DossierKind.CANDIDATE, now, cutoff_in=timedelta(days=30)
            )
            handles.append(
                await start_promotion(
                    client, task_queue, number, seat_cap=SEATS, rounds=[candidate_round]
                )
            )
            candidates: list[uuid.UUID] = []
            for _ in range(CANDIDATES // ARRIVAL_BATCH):
                batch = await asyncio.gather(
                    *(
                        start_dossier(client, task_queue, DossierKind.CANDIDATE, number)
                        for _ in range(ARRIVAL_BATCH)
                    )
                )
                handles += [handle for _, handle in batch]
                candidates += [dossier for dossier, _ in batch]
                await asyncio.gather(
                    *(
                        reached(client, dossier, DossierStatus.IN_REVIEW, in_a_round=True)
                        for dossier, _ in batch
                    )
                )
            project, project_handle = await start_dossier(
                client, task_queue, DossierKind.PROJECT, number
            )
            handles.append(project_handle)

            # The project joins a round created just before it becomes eligible, is defended,
            # and the jury decides once the round deliberates.
            await reached(client, project, DossierStatus.IN_EVALUATION)
            cutoff_at = datetime.now(UTC) + ROUND_CUTOFF_IN
            created = await http.post(
                "/api/v1/rounds",
                json={
                    "promotion_number": number,
                    "kind": "project",
                    "round_id": round_id,
                    "cutoff_at": cutoff_at.isoformat(),
                    "deliberation_at": (cutoff_at + timedelta(hours=1)).isoformat(),
                },
                headers=api.headers("admin"),
            )
            assert created.status_code == 201, created.text
            eligible = await api.act(project, "record_evaluation", outcome="eligible")
            assert eligible.status_code == 200, eligible.text
            assert eligible.json()["status"] == "scheduled"
            assert (await api.act(project, "record_defence")).status_code == 200
            decisions = f"/api/v1/rounds/{round_id}/decisions?promotion={number}"
            decision = {"dossier_id": str(project), "decision": "selected"}
            too_early = await http.post(decisions, json=decision, headers=api.headers("jury"))
            assert too_early.status_code == 409, too_early.text
            assert "still open" in too_early.json()["detail"]

            # Until the cut-off, the candidates go to the pool.
            for action, body in (
                ("record_review", {"outcome": "shortlisted"}),
                ("record_interview", {"outcome": "pool"}),
            ):
                responses = await api.act_on_all(candidates, action, **body)
                assert statuses(responses) == {200: CANDIDATES}, (action, responses[0].text)

            async def deliberating() -> bool:
                response = await http.get(
                    f"/api/v1/rounds/{round_id}?promotion={number}",
                    headers=api.headers("jury"),
                )
                return bool(response.json()["state"] == "deliberating")

            await eventually(deliberating, timeout=90, interval=0.2)
            selected = await http.post(decisions, json=decision, headers=api.headers("jury"))
            assert selected.status_code == 200, selected.text
            signed = await api.act(project, "sign_partnership", signed_on="2026-12-01")
            assert signed.json()["status"] == "partnership_signed", signed.text
            matched = await api.act_on_all(
                candidates, "propose_match", project_dossier_id=str(project)
            )
            assert statuses(matched) == {200: CANDIDATES}, matched[0].text

            # The race: every joint interview concludes "selected" at the same moment.
            results = await api.act_on_all(candidates, "record_joint_interview", outcome="selected")

            assert statuses(results) == {200: SEATS, 409: CANDIDATES - SEATS}
            refused = [response for response in results if response.status_code == 409]
            assert all(f"{SEATS}/{SEATS} seats taken" in r.json()["detail"] for r in refused)
            assert all(r.json()["status"] == "selected" for r in results if r.status_code == 200)
            seats = await handles[0].query("seats", result_type=SeatsSummary)
            winners = {
                dossier
                for dossier, response in zip(candidates, results, strict=True)
                if response.status_code == 200
            }
            assert set(seats.dossier_ids) == winners
            assert seats.seats_taken == SEATS
            for dossier, response in zip(candidates, results, strict=True):
                if response.status_code == 409:  # a refused selection changed nothing
                    await reached(client, dossier, DossierStatus.MATCHED)
        finally:
            await asyncio.gather(*(handle.terminate() for handle in handles))
