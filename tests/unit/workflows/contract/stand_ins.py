"""Stand-ins for the activities a contract workflow calls (numbering, publishing), with the real
``load_pay_policy``: shared by the contract tests and by the dossier tests whose selected
candidates start a contract."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatusChanged,
)
from tests.event_sinks import RecordedEvents
from workflows.contract.activities import ContractActivities
from workflows.contract.models import PUBLISH_CONTRACT_EVENT, PublishContractEventInput
from workflows.promotion.models import (
    ALLOCATE_CONTRACT_NUMBER,
    ContractNumberInput,
    ContractNumberResult,
)

ContractEvent = ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided


class StandInNumbering:
    """``allocate_contract_number`` answering like the promotion: idempotent per contract."""

    def __init__(self) -> None:
        self.calls: list[ContractNumberInput] = []
        self.numbers: dict[uuid.UUID, str] = {}

    @activity.defn(name=ALLOCATE_CONTRACT_NUMBER)
    async def allocate_contract_number(self, input: ContractNumberInput) -> ContractNumberResult:
        self.calls.append(input)
        number = self.numbers.setdefault(
            input.contract_id, f"EIG-{input.promotion_number}-{len(self.numbers) + 1:04d}"
        )
        return ContractNumberResult(sequence=int(number.rsplit("-", 1)[1]), contract_number=number)


class StandInEventLog:
    """``publish_contract_event`` recording every event, in order."""

    def __init__(self) -> None:
        self.events: list[ContractEvent] = []

    @activity.defn(name=PUBLISH_CONTRACT_EVENT)
    async def publish_contract_event(self, input: PublishContractEventInput) -> None:
        self.events.append(input.event)

    def statuses(self) -> list[str]:
        """Each event as one word: the status, or the event's name, for sequence asserts."""
        return [
            event.status.value
            if isinstance(event, ContractStatusChanged)
            else f"renewal_decided:{event.renew}"
            if isinstance(event, ContractRenewalDecided)
            else "offer_reminder"
            for event in self.events
        ]

    def status_changes(self) -> list[ContractStatusChanged]:
        return [event for event in self.events if isinstance(event, ContractStatusChanged)]

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class ContractStandIns:
    """Every activity the contract workflow calls: stand-ins for numbering and publishing, the
    real ``load_pay_policy`` (reading the committed policy files)."""

    numbering: StandInNumbering = field(default_factory=StandInNumbering)
    log: StandInEventLog = field(default_factory=StandInEventLog)
    # Only load_pay_policy of the real activities is registered.
    real: ContractActivities = field(default_factory=lambda: ContractActivities(RecordedEvents()))

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.real.load_pay_policy,
            self.numbering.allocate_contract_number,
            self.log.publish_contract_event,
        ]
