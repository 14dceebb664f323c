"""The contract workflow on the time-skipping server: every path a contract can take."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
)
from tests.integration.workflows.contract.contracts import (
    ContractHandle,
    act,
    early_renewal_path,
    full_path,
    sign,
    sleep_until,
    snapshot,
    start_contract,
    until_status,
)
from tests.unit.workflows.contract.contracts import contract_input
from tests.unit.workflows.contract.stand_ins import ContractStandIns
from workflows.contract.models import ContractInput, ContractOutcome
from workflows.contract.working_days import (
    first_working_day_of_next_month,
    is_working_day,
    paris_date,
    paris_midnight,
    renewal_due_on,
)

pytestmark = pytest.mark.integration

Status = ContractStatus


async def new_contract(
    env: WorkflowEnvironment, task_queue: str, years_of_experience: int = 10, **fields: Any
) -> tuple[ContractHandle, ContractInput]:
    """A contract for a candidate selected now (server time), drafted."""
    contract = contract_input(
        years_of_experience,
        contract_id=uuid.uuid4(),
        dossier_id=uuid.uuid4(),
        selected_at=await env.get_current_time(),
        **fields,
    )
    return await start_contract(env, task_queue, contract), contract


def fired_at(actual: datetime, due: datetime) -> bool:
    """Whether a timed step happened when due (timers fire within milliseconds of it)."""
    return timedelta(0) <= actual - due < timedelta(seconds=1)


WORKFLOW_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


async def refusal(handle: ContractHandle, action: str, **payload: Any) -> ApplicationError:
    """The error an action is refused with, checking the refusal wrote nothing to history.

    (The time-skipping server keeps the workflow task that ran the validator; the real server
    drops it too: see test_refusals_on_a_real_server.py.)
    """
    before = await handle.fetch_history()
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await act(handle, action, **payload)
    after = await handle.fetch_history()
    assert after.events[: len(before.events)] == before.events
    added = {event.event_type for event in after.events[len(before.events) :]}
    assert added <= WORKFLOW_TASK_EVENTS  # no update accepted, nothing published
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


class TestFullPath:
    async def test_a_contract_is_signed_activated_renewed_once_then_ends(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, contract = await new_contract(contract_clock, task_queue, years_of_experience=10)
        drafted = await snapshot(handle)

        outcome = await full_path(contract_clock, handle)

        log = contract_worker.log
        assert outcome == ContractOutcome(contract_id=contract.contract_id, status=Status.ENDED)
        assert log.statuses() == [
            "drafted",
            "offer_sent",
            "accepted",
            "signed",
            "active",
            "renewal_due",
            "renewal_decided:True",
            "renewed",
            "active",
            "renewal_due",
            "renewal_decided:False",
            "ended",
        ]
        # Drafted: number from the promotion, the first working day of next month, 12 months.
        first = drafted.terms
        assert first is not None
        assert contract_worker.numbering.calls[0].contract_id == contract.contract_id
        assert (first.contract_number, first.version, first.pay_policy_version) == (
            "EIG-7-0001",
            1,
            "7.1",
        )
        assert first.start_on == first_working_day_of_next_month(contract.selected_at)
        assert first.end_on == first.start_on.replace(year=first.start_on.year + 1) - timedelta(
            days=1
        )
        # 10 years of experience: the first band.
        assert (first.band, first.monthly_net_eur, first.annual_fixed_net_eur) == (
            "up_to_10_years",
            Decimal("4250.00"),
            Decimal("51000.00"),
        )
        assert (first.variable_percent, first.max_annual_variable_eur) == (
            Decimal(6),
            Decimal("3060.00"),
        )
        # Each status change carries who did it, the contacts and the current terms.
        changes = log.status_changes()
        assert [(change.action, change.actor) for change in changes[:5]] == [
            ("", "system"),
            ("send_offer", "staff-7"),
            ("accept", "applicant"),
            ("countersign", "admin-1"),
            ("", "system"),
        ]
        assert all(change.contact == contract.contact for change in changes)
        assert all(change.host_contact == contract.host_contact for change in changes)
        assert all(change.dossier_id == contract.dossier_id for change in changes)
        assert changes[1].offer_expires_at == changes[1].occurred_at + timedelta(days=10)
        assert fired_at(
            changes[4].occurred_at, paris_midnight(first.start_on)
        )  # active on its first day
        assert fired_at(changes[5].occurred_at, paris_midnight(renewal_due_on(first.end_on, 2)))
        # The renewal: same number, version 2 from the day after, one year more of experience.
        renewal, refusal_event = log.of_type(ContractRenewalDecided)
        second = renewal.next_terms
        assert second is not None
        assert (renewal.renew, renewal.terms, renewal.note) == (True, first, "Renouvelé pour un an")
        assert (second.contract_number, second.version) == (first.contract_number, 2)
        assert second.start_on == first.end_on + timedelta(days=1)
        assert (second.years_of_experience, second.band, second.monthly_net_eur) == (
            11,
            "over_10_years",
            Decimal("5000.00"),
        )
        assert (second.annual_fixed_net_eur, second.max_annual_variable_eur) == (
            Decimal("60000.00"),
            Decimal("6000.00"),
        )
        assert changes[7].terms == second  # active again, on the new version
        assert fired_at(changes[7].occurred_at, paris_midnight(second.start_on))
        assert (refusal_event.renew, refusal_event.next_terms, refusal_event.terms) == (
            False,
            None,
            second,
        )
        assert (changes[-1].status, changes[-1].terms) == (Status.ENDED, second)
        assert fired_at(changes[-1].occurred_at, paris_midnight(second.end_on + timedelta(days=1)))
        # Every event has its own id; nothing was reminded (the offer was answered).
        assert len({event.event_id for event in log.events}) == len(log.events)
        assert log.of_type(ContractOfferReminderDue) == []

    async def test_the_timeline_and_snapshot_of_an_ended_contract(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        await full_path(contract_clock, handle)

        ended = await snapshot(handle)

        assert (ended.status, ended.allowed_actions, ended.next_terms) == (Status.ENDED, [], None)
        assert ended.terms is not None and ended.terms.version == 2
        assert [(entry.status, entry.action, entry.version) for entry in ended.timeline] == [
            (Status.DRAFTED, "", 1),
            (Status.OFFER_SENT, "send_offer", 1),
            (Status.ACCEPTED, "accept", 1),
            (Status.SIGNED, "countersign", 1),
            (Status.ACTIVE, "", 1),
            (Status.RENEWAL_DUE, "", 1),
            (Status.RENEWED, "decide_renewal", 1),
            (Status.ACTIVE, "", 2),
            (Status.RENEWAL_DUE, "", 2),
            (Status.RENEWAL_DUE, "decide_renewal", 2),  # not renewed: same status, a note
            (Status.ENDED, "", 2),
        ]
        assert ended.timeline[-2].note == "Fin du projet"


class TestOffer:
    async def test_an_unanswered_offer_is_reminded_then_expires(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, contract = await new_contract(contract_clock, task_queue)
        sent = await act(handle, "send_offer")
        offer = await snapshot(handle)

        outcome = await handle.result()

        log = contract_worker.log
        assert (sent.status, sent.allowed_actions) == (Status.OFFER_SENT, ["accept", "decline"])
        assert outcome == ContractOutcome(
            contract_id=contract.contract_id, status=Status.OFFER_EXPIRED
        )
        assert log.statuses() == ["drafted", "offer_sent", "offer_reminder", "offer_expired"]
        [reminder] = log.of_type(ContractOfferReminderDue)
        expires_at = offer.offer_expires_at
        assert expires_at is not None
        assert reminder.offer_expires_at == expires_at
        assert fired_at(reminder.occurred_at, expires_at - timedelta(days=3))
        assert (reminder.contact, reminder.contract_id) == (contract.contact, contract.contract_id)
        assert fired_at(log.status_changes()[-1].occurred_at, expires_at)

    async def test_a_declined_offer_ends_the_contract_at_once(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, contract = await new_contract(contract_clock, task_queue)
        await act(handle, "send_offer")

        declined = await act(
            handle, "decline", actor="applicant", note="J'ai accepté un autre poste"
        )
        outcome = await handle.result()

        assert (declined.status, declined.allowed_actions) == (Status.DECLINED, [])
        assert outcome.status == Status.DECLINED
        last = contract_worker.log.status_changes()[-1]
        assert (last.status, last.previous_status, last.actor, last.note) == (
            Status.DECLINED,
            Status.OFFER_SENT,
            "applicant",
            "J'ai accepté un autre poste",
        )
        assert contract_worker.log.of_type(ContractOfferReminderDue) == []

    async def test_a_contract_countersigned_after_its_start_date_is_active_at_once(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        await act(handle, "send_offer")
        await act(handle, "accept", actor="applicant")
        accepted = await snapshot(handle)
        assert accepted.terms is not None
        await sleep_until(
            contract_clock, paris_midnight(accepted.terms.start_on + timedelta(days=2))
        )

        signed = await act(handle, "countersign", actor="admin-1")
        active = await until_status(handle, Status.ACTIVE)

        assert signed.status == Status.SIGNED
        assert active.terms == accepted.terms
        assert contract_worker.log.statuses()[-2:] == ["signed", "active"]
        await handle.terminate()


class TestStartDate:
    async def test_a_new_start_date_moves_the_term_and_is_published(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        today = paris_date(await contract_clock.get_current_time())
        start_on = today + timedelta(days=40)
        while not is_working_day(start_on):
            start_on += timedelta(days=1)

        result = await act(handle, "set_start_date", start_on=start_on.isoformat())
        moved = await snapshot(handle)

        assert (result.status, result.allowed_actions) == (
            Status.DRAFTED,
            ["set_start_date", "send_offer"],
        )
        assert moved.terms is not None
        assert moved.terms.start_on == start_on
        assert moved.terms.end_on == date(
            start_on.year + 1, start_on.month, start_on.day
        ) - timedelta(days=1)
        change = contract_worker.log.status_changes()[-1]
        # Same status before and after: the terms changed, not the step.
        assert (change.status, change.previous_status, change.action) == (
            Status.DRAFTED,
            Status.DRAFTED,
            "set_start_date",
        )
        assert change.terms == moved.terms
        await handle.terminate()

    async def test_a_start_date_on_a_weekend_or_not_after_today_is_refused(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        today = paris_date(await contract_clock.get_current_time())
        saturday = today + timedelta(days=7 + (5 - today.weekday()) % 7)

        weekend = await refusal(handle, "set_start_date", start_on=saturday.isoformat())
        past = await refusal(handle, "set_start_date", start_on=today.isoformat())

        for refused in (weekend, past):
            assert refused.type == "InvalidActionBody"
            [errors] = refused.details
            assert [error["field"] for error in errors["errors"]] == ["start_on"]
        assert "not a working day" in weekend.message
        assert "after today" in past.message
        assert len(contract_worker.log.events) == 1  # drafted only
        await handle.terminate()

    async def test_a_start_date_beyond_a_year_is_refused_and_the_contract_goes_on(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        # Issue 9: 9999-01-04 passed as a future working day, then the handler's term end
        # (year 10000) failed the workflow task forever and every later action answered 503.
        handle, _ = await new_contract(contract_clock, task_queue)
        today = paris_date(await contract_clock.get_current_time())
        beyond = today + timedelta(days=367)
        while not is_working_day(beyond):
            beyond += timedelta(days=1)

        far = await refusal(handle, "set_start_date", start_on="9999-01-04")
        next_year = await refusal(handle, "set_start_date", start_on=beyond.isoformat())
        offered = await act(handle, "send_offer")

        for refused in (far, next_year):
            assert refused.type == "InvalidActionBody"
            assert [error["field"] for error in refused.details[0]["errors"]] == ["start_on"]
        assert "within a year" in next_year.message
        assert offered.status == Status.OFFER_SENT
        history = await handle.fetch_history()
        failed_tasks = [
            event
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        ]
        assert failed_tasks == []
        await handle.terminate()


class TestRefusedActions:
    async def test_unknown_not_allowed_and_bad_bodies_are_refused_before_history(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)

        unknown = await refusal(handle, "sign")
        not_now = await refusal(handle, "countersign", actor="admin-1")
        extra_field = await refusal(handle, "send_offer", notes="typo")
        no_date = await refusal(handle, "set_start_date")
        not_a_date = await refusal(handle, "set_start_date", start_on="tomorrow")

        assert unknown.type == "UnknownAction"
        assert not_now.type == "ActionNotAllowed"
        assert not_now.details == (
            {"status": "drafted", "allowed_actions": ["set_start_date", "send_offer"]},
        )
        assert extra_field.type == "InvalidActionBody"
        assert extra_field.details == (
            {"errors": [{"field": "notes", "message": "Extra inputs are not permitted"}]},
        )
        for refused in (no_date, not_a_date):
            assert refused.type == "InvalidActionBody"
            assert [error["field"] for error in refused.details[0]["errors"]] == ["start_on"]
        assert contract_worker.log.statuses() == ["drafted"]
        await handle.terminate()

    async def test_a_renewal_refused_leaves_nothing_to_decide_until_the_end(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        await act(handle, "send_offer")
        await act(handle, "accept", actor="applicant")
        await act(handle, "countersign", actor="admin-1")
        terms = (await snapshot(handle)).terms
        assert terms is not None
        await sleep_until(contract_clock, paris_midnight(terms.end_on - timedelta(days=30)))
        await until_status(handle, Status.RENEWAL_DUE)

        not_renewed = await act(handle, "decide_renewal", renew=False)
        again = await refusal(handle, "decide_renewal", renew=True)
        outcome = await handle.result()

        assert (not_renewed.status, not_renewed.allowed_actions) == (Status.RENEWAL_DUE, [])
        assert again.type == "ActionNotAllowed"
        assert again.details == ({"status": "renewal_due", "allowed_actions": []},)
        assert outcome.status == Status.ENDED
        assert contract_worker.log.statuses()[-3:] == [
            "renewal_due",
            "renewal_decided:False",
            "ended",
        ]

    async def test_no_renewal_decision_by_the_end_date_ends_the_contract(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        await act(handle, "send_offer")
        await act(handle, "accept", actor="applicant")
        await act(handle, "countersign", actor="admin-1")

        outcome = await handle.result()

        assert outcome.status == Status.ENDED
        assert contract_worker.log.statuses() == [
            "drafted",
            "offer_sent",
            "accepted",
            "signed",
            "active",
            "renewal_due",
            "ended",
        ]


class TestRenewalDecidedEarly:
    async def test_renewed_when_signed_it_activates_then_the_next_term_follows_without_window(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, contract = await new_contract(contract_clock, task_queue)

        outcome = await early_renewal_path(contract_clock, handle)

        log = contract_worker.log
        assert outcome == ContractOutcome(contract_id=contract.contract_id, status=Status.ENDED)
        # No renewal_due between the two active: the first term's renewal was agreed.
        assert log.statuses() == [
            "drafted",
            "offer_sent",
            "accepted",
            "signed",
            "renewal_decided:True",
            "renewed",
            "active",
            "active",
            "renewal_decided:False",
            "renewal_due",
            "ended",
        ]
        renewal, _ = log.of_type(ContractRenewalDecided)
        first, second = renewal.terms, renewal.next_terms
        assert second is not None
        assert (second.version, second.start_on) == (2, first.end_on + timedelta(days=1))
        # The first term's whole years count from its start date, not from the decision.
        assert second.years_of_experience == contract.years_of_experience + 1
        changes = log.status_changes()
        activated, next_term, window, ended = changes[-4:]
        assert (activated.previous_status, activated.terms) == (Status.RENEWED, first)
        assert fired_at(activated.occurred_at, paris_midnight(first.start_on))
        # Active to active: the terms changed (the next version), not the step.
        assert (next_term.previous_status, next_term.terms) == (Status.ACTIVE, second)
        assert fired_at(next_term.occurred_at, paris_midnight(second.start_on))
        assert fired_at(window.occurred_at, paris_midnight(renewal_due_on(second.end_on, 2)))
        assert fired_at(ended.occurred_at, paris_midnight(second.end_on + timedelta(days=1)))
        ended_snapshot = await snapshot(handle)
        assert [
            (entry.status, entry.action, entry.version) for entry in ended_snapshot.timeline[3:]
        ] == [
            (Status.SIGNED, "countersign", 1),
            (Status.RENEWED, "decide_renewal", 1),
            (Status.ACTIVE, "", 1),
            (Status.ACTIVE, "", 2),
            (Status.ACTIVE, "decide_renewal", 2),  # not renewed: same status, a note
            (Status.RENEWAL_DUE, "", 2),
            (Status.ENDED, "", 2),
        ]

    async def test_a_renewal_agreed_early_is_not_decided_twice(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        first = await sign(handle)

        renewed = await act(handle, "decide_renewal", renew=True)
        while_renewed = await refusal(handle, "decide_renewal", renew=False)
        await sleep_until(contract_clock, paris_midnight(first.start_on))
        active = await until_status(handle, Status.ACTIVE)
        while_active = await refusal(handle, "decide_renewal", renew=False)

        assert (renewed.status, renewed.allowed_actions) == (Status.RENEWED, [])
        assert while_renewed.details == ({"status": "renewed", "allowed_actions": []},)
        assert (active.terms, active.allowed_actions) == (first, [])
        assert active.next_terms is not None and active.next_terms.version == 2
        assert while_active.type == "ActionNotAllowed"
        assert while_active.details == ({"status": "active", "allowed_actions": []},)
        assert "already decided: a new term follows this one" in while_active.message
        assert contract_worker.log.statuses()[-3:] == ["renewal_decided:True", "renewed", "active"]
        await handle.terminate()

    @pytest.mark.parametrize("decided_in", [Status.SIGNED, Status.ACTIVE])
    async def test_a_renewal_declined_early_still_activates_opens_its_window_then_ends(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
        decided_in: ContractStatus,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue)
        terms = await sign(handle)
        if decided_in == Status.ACTIVE:
            await sleep_until(contract_clock, paris_midnight(terms.start_on))
            await until_status(handle, Status.ACTIVE)

        declined = await act(handle, "decide_renewal", renew=False, note="Fin du projet")
        again = await refusal(handle, "decide_renewal", renew=True)
        window_opens_at = paris_midnight(renewal_due_on(terms.end_on, 2))
        await sleep_until(contract_clock, window_opens_at)
        due = await until_status(handle, Status.RENEWAL_DUE)
        in_window = await refusal(handle, "decide_renewal", renew=True)
        outcome = await handle.result()

        assert (declined.status, declined.allowed_actions) == (decided_in, [])
        assert again.details == ({"status": decided_in.value, "allowed_actions": []},)
        assert "already decided: the contract ends with its term" in again.message
        assert (due.allowed_actions, due.next_terms) == ([], None)
        assert in_window.details == ({"status": "renewal_due", "allowed_actions": []},)
        assert outcome.status == Status.ENDED
        log = contract_worker.log
        assert log.statuses()[3:] == (
            ["signed", "renewal_decided:False", "active"]
            if decided_in == Status.SIGNED
            else ["signed", "active", "renewal_decided:False"]
        ) + ["renewal_due", "ended"]
        [decision] = log.of_type(ContractRenewalDecided)
        assert (decision.renew, decision.next_terms, decision.note) == (
            False,
            None,
            "Fin du projet",
        )
        activated, window, ended = log.status_changes()[-3:]
        assert fired_at(activated.occurred_at, paris_midnight(terms.start_on))
        assert fired_at(window.occurred_at, window_opens_at)
        assert window.renewal_declined  # staff are told there is nothing left to decide
        assert fired_at(ended.occurred_at, paris_midnight(terms.end_on + timedelta(days=1)))


class TestEarlierPolicy:
    async def test_a_6th_promotion_contract_lasts_10_months(
        self,
        contract_clock: WorkflowEnvironment,
        task_queue: str,
        contract_worker: ContractStandIns,
    ) -> None:
        handle, _ = await new_contract(contract_clock, task_queue, promotion_number=6)

        drafted = await snapshot(handle)

        assert drafted.terms is not None
        assert (drafted.terms.term_months, drafted.terms.pay_policy_version) == (10, "6.1")
        assert drafted.terms.contract_number.startswith("EIG-6-")
        await handle.terminate()
