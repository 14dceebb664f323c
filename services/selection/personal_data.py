"""An applicant's personal data on request (RGPD, docs/DATA-PROTECTION.md): export and erase
what every service's tables hold about one dossier, for an admin (ADR 23).

The one place where a process reaches other services' tables (ADR 7's exception): through
each service's own functions (its ``erase_in``, its repository), on the database they share,
in one transaction, so that an erasure is whole or not at all. A service moved to a database
of its own would answer these through its API instead.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import JsonValue
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.database import transaction
from libs.messages.dossier_events import FINAL_STATUSES
from libs.outbox.models import OutboxMessage
from libs.personal_data import DELETED, PurgeReport
from services.contracts import service_layer as contracts
from services.contracts.models import ContractRecord, ContractTimelineRecord
from services.intake import service_layer as intake
from services.intake.models import Application, DossierTimelineEntry
from services.notifications.models import NotificationFailure, SentNotification
from services.selection import service_layer as selection
from services.selection.models import (
    ConflictDeclaration,
    Evaluation,
    InternalComment,
    PersonalDataErasure,
    StaffDossier,
    StaffTimelineEntry,
)
from workflows.dossier.client import DossierWorkflows

logger = logging.getLogger(__name__)


class DossierUnknown(LookupError):
    """No service holds this dossier."""


class WorkflowStillRunning(Exception):
    """The dossier is not final: its workflow would go on e-mailing and recording it."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Erasure:
    record: PersonalDataErasure
    report: PurgeReport


def _row(row: SQLModel) -> dict[str, JsonValue]:
    dumped: dict[str, JsonValue] = row.model_dump(mode="json")
    return dumped


async def _rows(session: AsyncSession, model: Any, *conditions: Any) -> list[dict[str, JsonValue]]:
    return [_row(row) for row in (await session.exec(select(model).where(*conditions))).all()]


async def export(
    sessions: async_sessionmaker[AsyncSession], dossier_id: UUID
) -> tuple[datetime | None, dict[str, list[dict[str, JsonValue]]]]:
    """Every row about the dossier, per ``service.table`` (DossierUnknown if none has it)."""
    async with transaction(sessions) as session:
        application = await session.get(Application, dossier_id)
        dossier = await session.get(StaffDossier, dossier_id)
        if application is None and dossier is None:
            raise DossierUnknown(dossier_id)
        contract_ids = [
            row.contract_id
            for row in (
                await session.exec(
                    select(ContractRecord).where(col(ContractRecord.dossier_id) == dossier_id)
                )
            ).all()
        ]
        keys = [str(dossier_id), *(str(contract_id) for contract_id in contract_ids)]
        tables = {
            "intake.applications": [_row(application)] if application is not None else [],
            "intake.dossier_timeline_entries": await _rows(
                session, DossierTimelineEntry, col(DossierTimelineEntry.dossier_id) == dossier_id
            ),
            "intake.outbox_messages": await _rows(
                session, OutboxMessage, col(OutboxMessage.key).in_(keys)
            ),
            "selection.staff_dossiers": [_row(dossier)] if dossier is not None else [],
            "selection.staff_timeline_entries": await _rows(
                session, StaffTimelineEntry, col(StaffTimelineEntry.dossier_id) == dossier_id
            ),
            "selection.internal_comments": await _rows(
                session, InternalComment, col(InternalComment.dossier_id) == dossier_id
            ),
            "selection.evaluations": await _rows(
                session, Evaluation, col(Evaluation.dossier_id) == dossier_id
            ),
            "selection.conflict_declarations": await _rows(
                session, ConflictDeclaration, col(ConflictDeclaration.dossier_id) == dossier_id
            ),
            "selection.personal_data_erasures": await _rows(
                session, PersonalDataErasure, col(PersonalDataErasure.dossier_id) == dossier_id
            ),
            "contracts.contracts": await _rows(
                session, ContractRecord, col(ContractRecord.dossier_id) == dossier_id
            ),
            "contracts.contract_timeline_entries": await _rows(
                session,
                ContractTimelineRecord,
                col(ContractTimelineRecord.contract_id).in_(contract_ids),
            ),
            "notifications.sent_notifications": await _rows(
                session, SentNotification, col(SentNotification.dossier_id) == dossier_id
            ),
            "notifications.notification_failures": await _rows(
                session, NotificationFailure, col(NotificationFailure.dossier_id) == dossier_id
            ),
        }
        erased_at = next(
            (
                row.personal_data_erased_at
                for row in (application, dossier)
                if row is not None and row.personal_data_erased_at is not None
            ),
            None,
        )
    return erased_at, tables


async def erase(
    sessions: async_sessionmaker[AsyncSession],
    workflows: DossierWorkflows,
    dossier_id: UUID,
    *,
    erased_by: str,
    reason: str,
    at: datetime,
) -> Erasure:
    """Erase the applicant's personal data everywhere, once: a second request returns the
    first one's record and changes nothing. Refused (WorkflowStillRunning) unless the dossier
    is final; raises WorkflowsUnavailable when Temporal cannot tell."""
    async with transaction(sessions) as session:
        done = await session.get(PersonalDataErasure, dossier_id)
        if done is not None:
            return Erasure(done, PurgeReport())
        application = await session.get(Application, dossier_id)
        dossier = await session.get(StaffDossier, dossier_id)
        if application is None and dossier is None:
            raise DossierUnknown(dossier_id)
    # The workflow is the authority; a dossier it no longer knows (closed past Temporal's
    # retention) is told by the read model.
    snapshot = await workflows.snapshot(dossier_id)
    status = snapshot.status.value if snapshot is not None and snapshot.status else None
    if status is None and dossier is not None:
        status = dossier.status
    if status not in FINAL_STATUSES:
        raise WorkflowStillRunning(status or "unknown")
    async with transaction(sessions) as session:
        if (done := await session.get(PersonalDataErasure, dossier_id)) is not None:
            return Erasure(done, PurgeReport())  # a concurrent request was first
        report = PurgeReport()
        report.merge(await intake.erase_in(session, [dossier_id], at))
        report.merge(await selection.erase_in(session, [dossier_id], at))
        contract_ids = list(
            (
                await session.exec(
                    select(ContractRecord.contract_id).where(
                        col(ContractRecord.dossier_id) == dossier_id
                    )
                )
            ).all()
        )
        report.merge(await contracts.erase_in(session, [dossier_id], at))
        keys = [str(dossier_id), *(str(contract_id) for contract_id in contract_ids)]
        # Sent rows only (their payloads carry the form or the contact); an unsent one is
        # still on its way, and nothing accepted is lost.
        sent = await session.exec(
            delete(OutboxMessage).where(
                col(OutboxMessage.key).in_(keys), col(OutboxMessage.sent_at).is_not(None)
            )
        )
        report.add("outbox_messages", DELETED, int(sent.rowcount))
        # A failure's SMTP error may quote the address; the dedupe records stay (ids only).
        failures = await session.exec(
            delete(NotificationFailure).where(col(NotificationFailure.dossier_id) == dossier_id)
        )
        report.add("notification_failures", DELETED, int(failures.rowcount))
        record = PersonalDataErasure(
            dossier_id=dossier_id, erased_by=erased_by, reason=reason, erased_at=at
        )
        session.add(record)
    # The audit's line: ids and counts only (the reason stays in the table).
    logger.info("personal data erased: %d rows %s", report.total, report.as_dict())
    return Erasure(record, report)
