"""An activity's event becomes one outbox row of its origin, even when the activity is retried."""

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import create_engine, session_factory
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from libs.messages.topics import DOSSIER_EVENTS, Headers
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.outbox.relay import OutboxSignal
from libs.outbox.writer import OutboxWriter
from tests.unit.libs.test_messages import candidate


@pytest.fixture
async def sessions(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


def received() -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=uuid4(),
        kind=DossierKind.CANDIDATE,
        status=DossierStatus.RECEIVED,
        title=Role.PRODUCT_DIRECTOR.value,
        contact=candidate().contact,
    )


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.exec(select(OutboxMessage))).all())


class TestOutboxWriter:
    async def test_the_event_is_one_pending_row_of_the_writers_origin(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        event = received()
        await OutboxWriter(sessions, OutboxSignal(), OutboxOrigin.WORKFLOWS).put(
            DOSSIER_EVENTS, event
        )
        (row,) = await rows(sessions)
        assert (row.event_id, row.origin, row.topic, row.key) == (
            event.event_id,
            OutboxOrigin.WORKFLOWS,
            DOSSIER_EVENTS,
            str(event.dossier_id),
        )
        assert row.sent_at is None
        assert row.headers[Headers.EVENT_TYPE] == "DossierStatusChanged"
        assert DossierStatusChanged.model_validate_json(row.payload) == event

    async def test_a_retried_activity_writes_its_event_once(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        writer = OutboxWriter(sessions, OutboxSignal(), OutboxOrigin.WORKFLOWS)
        event = received()
        await writer.put(DOSSIER_EVENTS, event)
        await writer.put(DOSSIER_EVENTS, event)
        assert len(await rows(sessions)) == 1

    async def test_the_relay_is_woken_once_the_row_is_committed(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        signal = OutboxSignal()
        await OutboxWriter(sessions, signal, OutboxOrigin.WORKFLOWS).put(DOSSIER_EVENTS, received())
        # Already set: returns at once (unset, the outer bound would raise).
        await asyncio.wait_for(signal.wait(timeout=60), timeout=5)
