"""Activities of the contract workflow: the only place it touches files and the outbox.

The contract number comes from the promotion's ``allocate_contract_number`` activity
(workflows/promotion), which owns numbering.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from libs.messages.contract_events import ContractStatusChanged
from libs.messages.topics import CONTRACT_EVENTS
from libs.outbox.writer import EventSink
from workflows.contract import policies
from workflows.contract.models import (
    LOAD_PAY_POLICY,
    PUBLISH_CONTRACT_EVENT,
    LoadPayPolicyInput,
    PayPolicy,
    PublishContractEventInput,
)
from workflows.error_types import ErrorType


class ContractActivities:
    """Activities holding what they need; the worker registers ``activities()``."""

    def __init__(self, events: EventSink, policies_dir: Path = policies.POLICIES_DIR) -> None:
        self._events = events
        self._policies_dir = policies_dir

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity of the contract workflow except allocate_contract_number."""
        return [self.load_pay_policy, self.publish_contract_event]

    @activity.defn(name=LOAD_PAY_POLICY)
    async def load_pay_policy(self, input: LoadPayPolicyInput) -> PayPolicy:
        """The promotion's pay policy, read from its data file and validated.

        Its failures are retryable on purpose: the contract waits (and the failing activity
        shows in Temporal) until a fixed policy file is deployed, rather than fail."""
        try:
            return policies.load_pay_policy(input.promotion_number, self._policies_dir)
        except policies.PayPolicyNotFound as error:
            raise ApplicationError(str(error), type=ErrorType.PAY_POLICY_NOT_FOUND) from None
        except policies.InvalidPayPolicy as error:
            raise ApplicationError(str(error), type=ErrorType.INVALID_PAY_POLICY) from None

    @activity.defn(name=PUBLISH_CONTRACT_EVENT)
    async def publish_contract_event(self, input: PublishContractEventInput) -> None:
        """Put the event on ``eig.contract-events.v1``, keyed by the candidate's dossier id.

        Through the outbox (ADR 14): once the row is committed the event cannot be lost. A
        retry writes the same event id, kept once.
        """
        event = input.event
        await self._events.put(CONTRACT_EVENTS, event)
        status = event.status if isinstance(event, ContractStatusChanged) else "-"
        # Ids and status only: no personal data in logs.
        activity.logger.info(
            "queued %s (%s) for contract %s (event %s)",
            event.type,
            status,
            event.contract_id,
            event.event_id,
        )
