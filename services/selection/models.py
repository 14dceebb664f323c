"""Selection's tables, all on ``SQLModel.metadata`` (Alembic migrations are generated from it).

``staff_dossiers`` and ``staff_timeline_entries`` are a read model fed by Kafka (the dossier
workflow stays the authority on status); ``evaluations`` and ``conflict_declarations`` are
selection's own data. Personal data lives only in ``staff_dossiers.application`` and its
``search_text``.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class StaffDossier(SQLModel, table=True):
    """One dossier as staff list it: the application plus its latest known status."""

    __tablename__ = "staff_dossiers"

    dossier_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=16, index=True, description="candidate or project")
    title: str = Field(max_length=200, description="Project title, or the candidate's role")
    status: str = Field(max_length=64, index=True)
    round_id: str | None = Field(default=None, max_length=100, index=True)
    overdue: bool = Field(default=False, index=True)
    submitted_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime, description="None until the application is read"
    )
    updated_at: datetime = Field(
        sa_type=UtcDateTime, index=True, description="When the latest status event happened"
    )
    application: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    search_text: str = Field(default="", sa_type=Text, description="Lower-cased title + form")
    roles: str = Field(
        default="",
        max_length=100,
        description="Space-separated roles: the candidate's, or those the project wants",
    )
    administration_kind: str | None = Field(
        default=None, max_length=64, index=True, description="Projects: the kind of administration"
    )


class StaffTimelineEntry(SQLModel, table=True):
    """One status change of a dossier, deduplicated on the event id."""

    __tablename__ = "staff_timeline_entries"

    event_id: UUID = Field(primary_key=True)
    dossier_id: UUID = Field(index=True)
    status: str = Field(max_length=64)
    action: str = Field(default="", max_length=64)
    outcome: str = Field(default="", max_length=64)
    actor: str = Field(default="system", max_length=255)
    actor_name: str = Field(default="", max_length=200, description="The actor's display name")
    note: str = Field(default="", sa_type=Text)
    occurred_at: datetime = Field(sa_type=UtcDateTime)


class DossierFollow(SQLModel, table=True):
    """A staff member follows a dossier (the console's "followed by me" tab)."""

    __tablename__ = "dossier_follows"

    staff_id: str = Field(primary_key=True, max_length=255)
    dossier_id: UUID = Field(primary_key=True)
    followed_at: datetime = Field(sa_type=UtcDateTime)


class InternalComment(SQLModel, table=True):
    """A staff-only note on a dossier, never shown to the applicant."""

    __tablename__ = "internal_comments"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: UUID = Field(index=True)
    author: str = Field(max_length=255, description="The author's staff id")
    author_name: str = Field(default="", max_length=200)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)


class Evaluation(SQLModel, table=True):
    """An evaluator's scorecard of a dossier: one per evaluator and dossier."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("dossier_id", "author", name="uq_evaluations_author"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: UUID = Field(index=True)
    author: str = Field(max_length=255, description="The evaluator's staff id")
    scores: dict[str, int] = Field(sa_type=JSON, description="Criterion → score (0 to 3)")
    comment: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="Last edit by its author; None on rows written before edits existed",
    )


class ConflictDeclaration(SQLModel, table=True):
    """An evaluator declared a conflict of interest: they no longer score the dossier."""

    __tablename__ = "conflict_declarations"

    dossier_id: UUID = Field(primary_key=True)
    evaluator: str = Field(primary_key=True, max_length=255)
    reason: str = Field(default="", sa_type=Text)
    declared_at: datetime = Field(sa_type=UtcDateTime)
