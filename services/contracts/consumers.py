"""Kafka entrypoint: keep the contracts read model up to date from contract events."""

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.kafka import RetryPolicy, subscribe_reliably
from libs.messages.contract_events import ContractEvent
from libs.messages.topics import CONTRACT_EVENTS, CONTRACTS_READ_MODEL_DLQ
from services.contracts.read_model import ContractEventModel, record_contract_event

CONTRACT_EVENT: TypeAdapter[ContractEventModel] = TypeAdapter(ContractEvent)


def subscribe_read_model(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], *, group_id: str
) -> None:
    """Register the consumer; it runs once the broker starts.

    Manual ack after the write; database errors are retried without limit (holding the
    partition rather than skipping a change), unreadable messages go to the dead-letter topic.
    """

    async def on_contract_event(body: bytes) -> None:
        await record_contract_event(sessions, CONTRACT_EVENT.validate_json(body))

    subscribe_reliably(
        broker,
        CONTRACT_EVENTS,
        on_contract_event,
        group_id=group_id,
        dlq_topic=CONTRACTS_READ_MODEL_DLQ,
        retry=RetryPolicy(),
        title="contracts-read-model",
        description="Contracts read model: status, terms, renewal and timeline of each contract",
    )
