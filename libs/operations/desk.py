"""The operations desk: the report and the dead-letter actions behind one port.

The CLI (``python -m deploy.status``) and the staff API's operations routes (which the
console's ops page calls) both go through it, so a replay from the page and one from a
terminal are the same code and land in the same audit.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.operations.collect import collect_report
from libs.operations.dead_letters import DeadLetterBox, MessageRef
from libs.operations.models import DeadLetterAction
from libs.operations.report import DeadLetters, StatusReport, Thresholds
from libs.operations.sources import OperationsSettings, Sources


class OperationsDesk(Protocol):
    async def report(self, limits: Thresholds | None = None) -> StatusReport: ...

    async def dead_letters(self, newest: int) -> DeadLetters: ...

    async def replay(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction: ...

    async def discard(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction: ...

    async def history(self, limit: int) -> Sequence[DeadLetterAction]: ...


@dataclass
class LiveOperationsDesk:
    """The real sources: the database, Kafka, Temporal, SMTP and the services' ``/readyz``.

    Addresses are resolved at each call: under ``make run`` the embedded stack's
    ``stack.json`` (the other services' ports) is written only once every part is ready,
    after the service holding this desk started."""

    settings: OperationsSettings
    sessions: async_sessionmaker[AsyncSession]

    @property
    def sources(self) -> Sources:
        return Sources.from_settings(self.settings)

    @property
    def box(self) -> DeadLetterBox:
        return DeadLetterBox(self.sources.kafka, self.sessions)

    async def report(self, limits: Thresholds | None = None) -> StatusReport:
        return await collect_report(self.sources, limits, sessions=self.sessions)

    async def dead_letters(self, newest: int) -> DeadLetters:
        return await self.box.inspect(newest=newest)

    async def replay(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction:
        return await self.box.replay(ref, actor=actor, reason=reason)

    async def discard(self, ref: MessageRef, *, actor: str, reason: str) -> DeadLetterAction:
        return await self.box.discard(ref, actor=actor, reason=reason)

    async def history(self, limit: int) -> Sequence[DeadLetterAction]:
        return await self.box.actions(limit=limit)
