"""Intake's tables, all on ``SQLModel.metadata`` (Alembic migrations are generated from it).

Personal data lives only in ``applications.payload``: no other column holds names or e-mails.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class Application(SQLModel, table=True):
    """An accepted application; the dossier id is born here."""

    __tablename__ = "applications"

    dossier_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=16, description="candidate or project")
    payload: dict[str, Any] = Field(sa_type=JSON, description="The form as submitted")
    title: str = Field(max_length=200, description="Project title, or the candidate's role")
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
    workflow_confirmed_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime, description="When the reconciler saw its workflow"
    )


class IdempotencyRecord(SQLModel, table=True):
    """The first answer given to an ``Idempotency-Key``, replayed for identical retries."""

    __tablename__ = "idempotency_records"

    key: str = Field(primary_key=True, max_length=255)
    request_sha256: str = Field(max_length=64, description="SHA-256 of the canonical body")
    status_code: int
    response: dict[str, Any] = Field(sa_type=JSON, description="Answer, without the private link")
    dossier_id: UUID
    created_at: datetime = Field(sa_type=UtcDateTime)


class DossierStatusView(SQLModel, table=True):
    """Each dossier's latest status, as told by ``eig.dossier-events``."""

    __tablename__ = "dossier_status_views"

    dossier_id: UUID = Field(primary_key=True)
    status: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UtcDateTime, description="When this row was written")
    last_event_at: datetime = Field(sa_type=UtcDateTime, description="When the status changed")


class DossierTimelineEntry(SQLModel, table=True):
    """One status change shown to the applicant; keyed by event id so a replay adds nothing."""

    __tablename__ = "dossier_timeline_entries"

    event_id: UUID = Field(primary_key=True)
    dossier_id: UUID = Field(index=True)
    status: str = Field(max_length=64)
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    note: str = Field(default="", sa_type=Text)


class ReconcilerState(SQLModel, table=True):
    """What the reconciler's latest round did, for ``make status`` (one row per reconciler)."""

    __tablename__ = "reconciler_state"

    name: str = Field(primary_key=True, max_length=64, description="intake")
    last_run_at: datetime = Field(sa_type=UtcDateTime)
    last_checked: int = Field(default=0, description="Dossiers looked up in the latest round")
    last_confirmed: int = Field(default=0)
    last_republished: int = Field(default=0)
    last_temporal_unreachable: bool = Field(default=False)
    republished_total: int = Field(default=0, description="Submissions republished, ever")
