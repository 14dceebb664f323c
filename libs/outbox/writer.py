"""Writes an event into the outbox, for producers without a transaction of their own to join.

The workflow activities publish this way (ADR 14): the row is committed, the relay of their
process publishes it. An activity retried after its row was committed writes nothing more
(same event id), so the event is relayed once per attempt that matters.
"""

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.envelope import Event
from libs.outbox.models import OutboxMessage
from libs.outbox.relay import OutboxSignal, outbox_message


class EventSink(Protocol):
    async def put(self, topic: str, event: Event) -> None:
        """Return once the event is durably on its way to ``topic``; raise otherwise."""


class OutboxWriter:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], signal: OutboxSignal, origin: str
    ) -> None:
        self.sessions = sessions
        self.signal = signal
        self.origin = origin

    async def put(self, topic: str, event: Event) -> None:
        row = outbox_message(topic, event, datetime.now(UTC), self.origin)
        values = row.model_dump(exclude={"id"})
        async with transaction(self.sessions) as session:
            connection = await session.connection()
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            # The same event id again (a retried activity): already written, nothing to add.
            statement = (
                dialect.insert(OutboxMessage)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["event_id"])
            )
            await session.exec(statement)
        self.signal.notify()
