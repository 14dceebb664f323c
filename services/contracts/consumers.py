"""Kafka entrypoint: keep the contracts read model up to date from contract events."""

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import CONSUMER_RETRY, Handler, subscribe_events
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatusChanged,
)
from libs.messages.topics import CONTRACT_EVENTS, CONTRACTS_READ_MODEL_DLQ
from services.contracts.read_model import ContractEventModel, record_contract_event


def subscribe_read_model(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], *, group_id: str
) -> None:
    """Register the consumer; it runs once the broker starts.

    Manual ack after the write; database errors are retried (``CONSUMER_RETRY``, a few
    minutes), then the event is dead-lettered (replayable) rather than hold the partition
    forever; unreadable messages go to the dead-letter topic at once.
    """

    async def on_contract_event(event: ContractEventModel) -> None:
        await record_contract_event(sessions, event)

    subscribe_events(
        broker,
        CONTRACT_EVENTS,
        [
            Handler(ContractStatusChanged, on_contract_event),
            Handler(ContractOfferReminderDue, on_contract_event),
            Handler(ContractRenewalDecided, on_contract_event),
        ],
        consumer="contracts-read-model",
        group_id=group_id,
        dlq_topic=CONTRACTS_READ_MODEL_DLQ,
        retry=CONSUMER_RETRY,
        description="Contracts read model: status, terms, renewal and timeline of each contract",
    )
