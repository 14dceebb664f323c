"""Property-based bodies for every action of the three workflow families (issue 9).

Each test starts one long-lived workflow on the time-skipping server and sends it Hypothesis
examples: valid bodies built from the action models, and junk (far dates, huge integers, NUL
and control characters, missing, extra and mistyped fields). Every update must be accepted or
refused with a typed ApplicationError; afterwards the history holds no failed workflow task
(which would wedge the workflow) and the workflow still answers its query.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import DossierKind
from tests.unit.workflows.contract.contracts import contract_input
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandIns,
    sample_dossier,
    sample_round,
)
from tests.unit.workflows.promotion.promotions import promotion_worker, unique_promotion_number
from workflows.contract.models import (
    APPLY_CONTRACT_ACTION,
    CONTRACT_ACTION_BODIES,
    CONTRACT_SNAPSHOT,
    CONTRACT_WORKFLOW,
    ContractSnapshot,
)
from workflows.dossier.models import (
    ACTION_BODIES,
    APPLY_ACTION,
    SNAPSHOT,
    DossierSnapshot,
    dossier_workflow_id,
)
from workflows.dossier.workflows import DOSSIER_WORKFLOWS
from workflows.promotion.models import (
    ADD_ROUND,
    ALLOCATE_CONTRACT_NUMBER,
    CALENDAR,
    ENROL,
    LEAVE_ROUND,
    RELEASE_SEAT,
    RESERVE_SEAT,
    PromotionInput,
    RoundRef,
    promotion_workflow_id,
)

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # a fixed seed: CI runs the same examples every time
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Strategies ------------------------------------------------------------------------------

FAR_DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "2100-12-31", "1999-12-31"]
HOSTILE_TEXTS = ["\x00", "note\x00", "\x07\x1b[31m", "\x7f", "ok\nwith\ttabs", "é" * 5001, ""]
HUGE_INTEGERS = [2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**30, 0, -1]

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_INTEGERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXTS),
    st.sampled_from(FAR_DATES),
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),  # naive
    st.uuids().map(str),
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def enum_values(models: list[type[BaseModel]]) -> list[str]:
    """Every enum value the models' fields accept (outcomes, decisions)."""
    values: set[str] = set()
    for model in models:
        for info in model.model_fields.values():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, StrEnum):
                values.update(member.value for member in annotation)
    return sorted(values)


def field_values(models: list[type[BaseModel]]) -> st.SearchStrategy[Any]:
    """Values valid for some field of ``models`` (near the bounds), mixed with junk."""
    return st.one_of(
        st.sampled_from(enum_values(models) or ["none"]),  # the contract bodies have no enum
        st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat),
        st.text(max_size=40),
        st.uuids().map(str),
        st.booleans(),
        json_values,
    )


def bodies(model: type[BaseModel], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Bodies for ``model``: some of its fields (missing ones), maybe extra ones, any values;
    now and then not an object at all."""
    names = sorted(model.model_fields)
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(names, values))
    extra = st.dictionaries(st.sampled_from(["extra", "Note", "", "\x00"]), values, max_size=1)
    objects = st.builds(lambda a, b: {**a, **b}, known, extra)
    return st.one_of(objects, objects, objects, json_values)


def action_requests(
    action_bodies: dict[str, type[BaseModel]],
) -> st.SearchStrategy[dict[str, Any]]:
    """The ``apply_action`` argument as raw JSON: a known or made-up action and its body,
    the actor sometimes empty, long or mistyped."""
    models = list(action_bodies.values())
    values = field_values(models)
    known = st.sampled_from(sorted(action_bodies)).flatmap(
        lambda action: st.tuples(st.just(action), bodies(action_bodies[action], values))
    )
    unknown = st.tuples(st.sampled_from(["", "launch", "\x00", "WITHDRAW"]), json_values)
    actors = st.one_of(
        st.just("staff-7"),
        st.just("applicant"),
        st.sampled_from(["", "x" * 201, "\x00"]),
        st.integers(),
    )
    return st.builds(
        lambda pair, actor: {"action": pair[0], "actor": actor, "payload": pair[1]},
        known | known | known | unknown,
        actors,
    )


# --- Sending and checking --------------------------------------------------------------------


WEDGED_AFTER = 60.0
"""Seconds after which an update is taken for wedged (a failed workflow task retries forever,
so the update never answers): a bound for failing, never waited for when all is well."""


async def accepted_or_refused(call: Awaitable[Any]) -> bool:
    """True if accepted; False if refused with a typed ApplicationError; any other end fails."""
    try:
        await asyncio.wait_for(call, WEDGED_AFTER)
    except WorkflowUpdateFailedError as failed:
        assert isinstance(failed.cause, ApplicationError), repr(failed.cause)
        return False
    return True


async def workflow_task_failures(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(
        event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for event in history.events
    )


@dataclass
class Target:
    """The workflow the examples go to; a fresh one once an example made it final."""

    start: Callable[[], Awaitable[WorkflowHandle[Any, Any]]]
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)
    outcomes: list[bool] = field(default_factory=list)

    async def current(self) -> WorkflowHandle[Any, Any]:
        if not self.handles:
            self.handles.append(await self.start())
        handle = self.handles[-1]
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            handle = await self.start()
            self.handles.append(handle)
        return handle

    async def send_all(self, update: str, arguments: list[Any]) -> None:
        for argument in arguments:
            handle = await self.current()
            self.outcomes.append(await accepted_or_refused(handle.execute_update(update, argument)))

    async def check(
        self, query: str, result_type: type[BaseModel], *, some_accepted: bool = True
    ) -> None:
        try:
            for handle in self.handles:
                assert await workflow_task_failures(handle) == 0
                assert isinstance(await handle.query(query, result_type=result_type), result_type)
            # Both ends were reached: the examples exercise transitions, not only refusals.
            assert False in self.outcomes
            assert True in self.outcomes or not some_accepted
        finally:
            for handle in self.handles:
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate()


def drawn(strategy: st.SearchStrategy[Any], *explicit: Any) -> list[Any]:
    """The examples Hypothesis draws from ``strategy`` (fixed seed), after ``explicit`` ones
    (bugs found, kept). Drawn up front: the updates are sent from the test's event loop, and
    Hypothesis runs no coroutine."""
    examples = list(explicit)

    @PROPERTY_SETTINGS
    @given(strategy)
    def collect(example: Any) -> None:
        examples.append(example)

    collect()
    return examples


# --- Dossier and contract families -----------------------------------------------------------


@pytest.fixture
async def dossier_queue(temporal_time_skipping: WorkflowEnvironment) -> AsyncIterator[StandIns]:
    stand_ins = StandIns()
    round_ = sample_round(DossierKind.CANDIDATE, "props", cutoff_in_days=400)
    stand_ins.promotion.open_rounds = [
        round_,
        sample_round(DossierKind.PROJECT, "props", cutoff_in_days=400),
    ]
    task_queue = f"action-properties-{uuid.uuid4()}"
    async with Worker(
        temporal_time_skipping.client,
        task_queue=task_queue,
        workflows=WORKFLOWS_UNDER_TEST,
        activities=stand_ins.activities(),
    ):
        stand_ins.task_queue = task_queue  # type: ignore[attr-defined]
        yield stand_ins


class TestDossierActions:
    @pytest.mark.parametrize("kind", list(DossierKind))
    async def test_every_body_is_applied_or_refused_never_a_failed_task(
        self,
        temporal_time_skipping: WorkflowEnvironment,
        dossier_queue: StandIns,
        kind: DossierKind,
    ) -> None:
        client = temporal_time_skipping.client
        task_queue: str = dossier_queue.task_queue  # type: ignore[attr-defined]

        async def start() -> WorkflowHandle[Any, Any]:
            dossier = sample_dossier(kind)
            return await client.start_workflow(
                DOSSIER_WORKFLOWS[kind].run,
                dossier,
                id=dossier_workflow_id(dossier.dossier_id),
                task_queue=task_queue,
            )

        target = Target(start)

        # A withdrawal applies in any stage: at least one example is a transition.
        withdrawal = {"action": "withdraw", "actor": "applicant", "payload": {}}
        await target.send_all(APPLY_ACTION, [*drawn(action_requests(ACTION_BODIES)), withdrawal])
        await target.check(SNAPSHOT, DossierSnapshot)


class TestContractActions:
    async def test_every_body_is_applied_or_refused_never_a_failed_task(
        self, temporal_time_skipping: WorkflowEnvironment, dossier_queue: StandIns
    ) -> None:
        client = temporal_time_skipping.client
        task_queue: str = dossier_queue.task_queue  # type: ignore[attr-defined]

        async def start() -> WorkflowHandle[Any, Any]:
            contract = contract_input(contract_id=uuid.uuid4(), dossier_id=uuid.uuid4())
            return await client.start_workflow(
                CONTRACT_WORKFLOW,
                contract,
                id=f"contract-{contract.contract_id}",
                task_queue=task_queue,
            )

        target = Target(start)
        bodies_by_action: dict[str, type[BaseModel]] = dict(CONTRACT_ACTION_BODIES)
        # A drafted contract's offer can be sent: at least one example is a transition.
        offer = {"action": "send_offer", "actor": "staff-7", "payload": {}}
        requests = drawn(action_requests(bodies_by_action))
        await target.send_all(APPLY_CONTRACT_ACTION, [*requests, offer])
        await target.check(CONTRACT_SNAPSHOT, ContractSnapshot)


# --- Promotion family ------------------------------------------------------------------------

PROMOTION_UPDATES = [
    ADD_ROUND,
    ENROL,
    LEAVE_ROUND,
    RESERVE_SEAT,
    RELEASE_SEAT,
    ALLOCATE_CONTRACT_NUMBER,
]
PROMOTION_FIELDS = {
    ADD_ROUND: ["round_id", "kind", "cutoff_at", "deliberation_at", "state"],
    ENROL: ["promotion_number", "dossier_id", "kind", "not_before"],
    LEAVE_ROUND: ["promotion_number", "dossier_id"],
    RESERVE_SEAT: ["promotion_number", "dossier_id"],
    RELEASE_SEAT: ["promotion_number", "dossier_id"],
    ALLOCATE_CONTRACT_NUMBER: ["promotion_number", "contract_id"],
}


def promotion_arguments(number: int) -> st.SearchStrategy[tuple[str, Any]]:
    """An update of the promotion and its argument as raw JSON: fields near valid (its own
    number, kinds, dates within the horizon) mixed with junk."""
    now = datetime.now(UTC)
    values = st.one_of(
        st.just(number),
        st.sampled_from([kind.value for kind in DossierKind]),
        st.integers(1, 900).map(lambda days: (now + timedelta(days=days)).isoformat()),
        st.uuids().map(str),
        st.text(max_size=30),
        json_values,
    )

    def argument(update: str) -> st.SearchStrategy[Any]:
        fields = st.fixed_dictionaries({}, optional=dict.fromkeys(PROMOTION_FIELDS[update], values))
        return st.one_of(fields, fields, fields, json_values)

    return st.sampled_from(PROMOTION_UPDATES).flatmap(
        lambda update: st.tuples(st.just(update), argument(update))
    )


class TestPromotionUpdates:
    async def test_every_argument_is_applied_or_refused_never_a_failed_task(
        self, temporal_time_skipping: WorkflowEnvironment
    ) -> None:
        client = temporal_time_skipping.client
        task_queue = f"promotion-properties-{uuid.uuid4()}"
        number = unique_promotion_number()

        async def start() -> WorkflowHandle[Any, Any]:
            return await client.start_workflow(
                "PromotionWorkflow",
                PromotionInput(number=number, year=2026, seat_cap=3),
                id=promotion_workflow_id(number),
                task_queue=task_queue,
            )

        async with promotion_worker(client, task_queue):
            target = Target(start)
            handle = await target.current()
            # A seat for a dossier is always an answer: at least one example is accepted.
            seat = {"promotion_number": number, "dossier_id": str(uuid.uuid4())}
            for update, argument in [*drawn(promotion_arguments(number)), (RESERVE_SEAT, seat)]:
                target.outcomes.append(
                    await accepted_or_refused(handle.execute_update(update, argument))
                )
            assert await workflow_task_failures(handle) == 0
            calendar = await handle.query(CALENDAR, result_type=list[RoundRef])
            assert isinstance(calendar, list)
            assert True in target.outcomes and False in target.outcomes
            await handle.terminate()
