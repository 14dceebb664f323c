"""A selected candidate's contract as the child of its dossier workflow (time-skipping).

The dossier workflow drafts the contract when the candidate is selected; a declined or lapsed
offer gives the promotion seat back and the candidate returns to the pool; a withdrawal cancels
the contract; a contract that ran its course ends the dossier's life, its seat kept.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.contract_events import ContractStatus
from libs.messages.dossier_events import DossierStatus, Outcome
from tests.conftest import time_skipping_server
from tests.eventually import eventually
from tests.integration.workflows.contract.contracts import (
    act as contract_act,
)
from tests.integration.workflows.contract.contracts import (
    sign,
    sleep_until,
    until_status,
)
from tests.unit.workflows.dossier.dossiers import (
    WORKFLOWS_UNDER_TEST,
    StandIns,
    act,
    close_dossier,
    sample_dossier,
    wait_until_idle,
)
from workflows.contract.models import ContractOutcome, contract_workflow_id
from workflows.contract.working_days import paris_midnight
from workflows.dossier.models import DossierSnapshot, dossier_workflow_id
from workflows.dossier.workflows import DOSSIER_WORKFLOWS, DossierWorkflow

HOST = Contact(name="Dominique Durand", email="dominique@finances.gouv.fr", language=Language.FR)


class Candidates:
    def __init__(self, env: WorkflowEnvironment, task_queue: str, stand_ins: StandIns) -> None:
        self.env = env
        self.task_queue = task_queue
        self.stand_ins = stand_ins
        self.started: list[WorkflowHandle[Any, Any]] = []

    async def selected(self, years_of_experience: int = 11) -> WorkflowHandle[Any, Any]:
        """A candidate taken to ``selected`` with a project whose host is known."""
        project = DossierSnapshot(
            dossier_id=uuid.uuid4(),
            kind=DossierKind.PROJECT,
            status=DossierStatus.PARTNERSHIP_SIGNED,
            title="Détecter la fraude à la TVA",
            profiles_wanted=[Role.TECHNICAL_DIRECTOR],
            administration_name="DGFiP",
            contact=HOST,
        )
        self.stand_ins.directory.snapshots[project.dossier_id] = project
        dossier = sample_dossier(DossierKind.CANDIDATE, years_of_experience=years_of_experience)
        handle = await self.env.client.start_workflow(
            DOSSIER_WORKFLOWS[DossierKind.CANDIDATE].run,
            dossier,
            id=dossier_workflow_id(dossier.dossier_id),
            task_queue=self.task_queue,
        )
        self.started.append(handle)
        await wait_until_idle(handle)
        await act(handle, "record_review", outcome="shortlisted")
        await act(handle, "record_interview", outcome="pool")
        await act(handle, "propose_match", project_dossier_id=str(project.dossier_id))
        result = await act(handle, "record_joint_interview", outcome="selected")
        assert result.status == DossierStatus.SELECTED
        return handle

    async def contract_of(self, handle: WorkflowHandle[Any, Any]) -> WorkflowHandle[Any, Any]:
        contract_id = (await handle.query(DossierWorkflow.snapshot)).contract_id
        assert contract_id is not None
        contract = self.env.client.get_workflow_handle(
            contract_workflow_id(contract_id), result_type=ContractOutcome
        )
        await until_status(contract, ContractStatus.DRAFTED)
        return contract


@pytest.fixture(scope="module")
async def candidate_clock() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own: dossiers left with a contract at the end
    of a test (the server applies no parent-close policy) must not stall other tests' clocks."""
    async with time_skipping_server() as env:
        yield env


@pytest.fixture
async def candidates(
    candidate_clock: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[Candidates]:
    stand_ins = StandIns()
    async with Worker(
        candidate_clock.client,
        task_queue=task_queue,
        workflows=WORKFLOWS_UNDER_TEST,
        activities=stand_ins.activities(),
    ):
        harness = Candidates(candidate_clock, task_queue, stand_ins)
        yield harness
        for handle in harness.started:
            await close_dossier(candidate_clock.client, handle)


async def dossier_status(
    handle: WorkflowHandle[Any, Any], status: DossierStatus
) -> DossierSnapshot:
    async def probe() -> DossierSnapshot | None:
        current: DossierSnapshot = await handle.query(DossierWorkflow.snapshot)
        return current if current.status == status else None

    found = await eventually(probe)
    assert found is not None
    return found


class TestContractOnSelection:
    async def test_a_selected_candidate_gets_a_drafted_contract_priced_by_experience_only(
        self, candidates: Candidates
    ) -> None:
        handle = await candidates.selected(years_of_experience=11)

        contract = await candidates.contract_of(handle)

        terms = (await until_status(contract, ContractStatus.DRAFTED)).terms
        assert terms is not None
        assert (terms.contract_number, terms.band) == ("EIG-7-0001", "over_10_years")
        assert (terms.monthly_net_eur, terms.variable_percent) == (
            Decimal("5000.00"),
            Decimal("10"),
        )
        assert (terms.host_administration, terms.project_title) == (
            "DGFiP",
            "Détecter la fraude à la TVA",
        )
        assert (terms.eig_name, terms.role) == ("Camille Martin", Role.TECHNICAL_DIRECTOR)
        [drafted] = candidates.stand_ins.contracts.log.status_changes()
        assert drafted.host_contact == HOST
        selection = candidates.stand_ins.publisher.calls[-1].event
        assert selection.details["contract_id"] == str(
            (await handle.query(DossierWorkflow.snapshot)).contract_id
        )

    async def test_a_declined_offer_gives_the_seat_back_and_the_candidate_returns_to_the_pool(
        self, candidates: Candidates
    ) -> None:
        handle = await candidates.selected()
        contract = await candidates.contract_of(handle)
        await contract_act(contract, "send_offer")
        seats = candidates.stand_ins.promotion

        await contract_act(contract, "decline", actor="applicant", note="Autre projet")

        pooled = await dossier_status(handle, DossierStatus.IN_POOL)
        assert pooled.timeline[-1].outcome == Outcome.CONTRACT_DECLINED
        assert (pooled.contract_id, pooled.matched_project_id) == (None, None)
        assert "propose_match" in pooled.allowed_actions
        assert [release.dossier_id for release in seats.releases] == [pooled.dossier_id]
        assert seats.seats == []
        outcome = await contract.result()
        assert outcome == ContractOutcome(
            contract_id=outcome.contract_id, status=ContractStatus.DECLINED
        )

    async def test_a_lapsed_offer_gives_the_seat_back_and_the_candidate_returns_to_the_pool(
        self, candidates: Candidates
    ) -> None:
        handle = await candidates.selected()
        contract = await candidates.contract_of(handle)
        await contract_act(contract, "send_offer")
        expires_at = (await until_status(contract, ContractStatus.OFFER_SENT)).offer_expires_at
        assert expires_at is not None

        await sleep_until(candidates.env, expires_at)

        pooled = await dossier_status(handle, DossierStatus.IN_POOL)
        assert pooled.timeline[-1].outcome == Outcome.OFFER_EXPIRED
        assert candidates.stand_ins.promotion.seats == []
        assert (await contract.result()).status == ContractStatus.OFFER_EXPIRED
        statuses = candidates.stand_ins.contracts.log.statuses()
        assert statuses == ["drafted", "offer_sent", "offer_reminder", "offer_expired"]

    async def test_a_withdrawal_cancels_the_contract_and_frees_the_seat(
        self, candidates: Candidates
    ) -> None:
        handle = await candidates.selected()
        contract = await candidates.contract_of(handle)
        await contract_act(contract, "send_offer")

        await act(handle, "withdraw", actor="applicant")

        await handle.result()
        assert candidates.stand_ins.promotion.seats == []

        async def cancelled() -> bool:
            status = (await contract.describe()).status
            return status == WorkflowExecutionStatus.CANCELED

        assert await eventually(cancelled)

    async def test_a_contract_that_ran_its_course_ends_the_dossier_with_its_seat_kept(
        self, candidates: Candidates
    ) -> None:
        handle = await candidates.selected()
        contract = await candidates.contract_of(handle)
        terms = await sign(contract)
        await contract_act(contract, "decide_renewal", renew=False)

        await sleep_until(candidates.env, paris_midnight(terms.end_on + timedelta(days=1)))

        assert (await contract.result()).status == ContractStatus.ENDED
        await handle.result()
        final = await handle.query(DossierWorkflow.snapshot)
        assert final.status == DossierStatus.SELECTED
        assert candidates.stand_ins.promotion.releases == []
        assert len(candidates.stand_ins.promotion.seats) == 1
