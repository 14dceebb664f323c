"""Selection's tables, all on ``SQLModel.metadata`` (Alembic migrations are generated from it).

``staff_dossiers`` and ``staff_timeline_entries`` are a read model fed by Kafka (the dossier
workflow stays the authority on status); ``evaluations`` and ``conflict_declarations`` are
selection's own data. Personal data lives only in ``staff_dossiers.application`` and its
``search_text``.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DDL, JSON, Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class StaffDossier(SQLModel, table=True):
    """One dossier as staff list it: the application plus its latest known status.

    The list pages by keyset over each sort's index, the dossier id breaking ties in the same
    direction (ADR 20); ``final`` leads a copy of each so that the "to handle" and "handled"
    tabs walk only their own rows. The search text's index is a trigram index on PostgreSQL
    (``LIKE '%…%'`` uses it) and a plain one on SQLite (a narrow copy of the text to scan).
    """

    __tablename__ = "staff_dossiers"
    __table_args__ = (
        Index("ix_staff_dossiers_updated", "updated_at", "dossier_id"),
        Index("ix_staff_dossiers_final_updated", "final", "updated_at", "dossier_id"),
        Index("ix_staff_dossiers_submitted", "submitted_at", "dossier_id"),
        Index("ix_staff_dossiers_final_submitted", "final", "submitted_at", "dossier_id"),
        Index("ix_staff_dossiers_title", "title", "dossier_id"),
        Index("ix_staff_dossiers_final_title", "final", "title", "dossier_id"),
        Index("ix_staff_dossiers_status_updated", "status", "updated_at", "dossier_id"),
        Index(
            "ix_staff_dossiers_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    dossier_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=16, index=True, description="candidate or project")
    title: str = Field(max_length=200, description="Project title, or the candidate's role")
    status: str = Field(max_length=64)
    final: bool = Field(default=False, description="The status is final (the handled tab)")
    round_id: str | None = Field(default=None, max_length=100, index=True)
    overdue: bool = Field(default=False, index=True)
    submitted_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime, description="None until the application is read"
    )
    updated_at: datetime = Field(
        sa_type=UtcDateTime, description="When the latest status event happened"
    )
    application: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    search_text: str = Field(
        default="",
        sa_type=Text,
        description="Lower-cased names, title and administration: what the list's search reads",
    )
    roles: str = Field(
        default="",
        max_length=100,
        description="Space-separated roles: the candidate's, or those the project wants",
    )
    administration_kind: str | None = Field(
        default=None, max_length=64, index=True, description="Projects: the kind of administration"
    )
    personal_data_erased_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the application lost its personal data (retention or an erasure)",
    )


# The trigram index needs the extension (the migration creates it too; this serves create_all).
event.listen(
    StaffDossier.__table__,  # type: ignore[attr-defined]
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)


class StaffDossierCount(SQLModel, table=True):
    """How many dossiers share one combination of the list's counted columns.

    Kept by the read model's projection in the transaction that changes a dossier's row
    (ADR 20), so that the list's counts under these filters add up a few hundred rows instead
    of counting the dossiers. ``administration_kind`` is empty for candidates.
    """

    __tablename__ = "staff_dossier_counts"

    kind: str = Field(primary_key=True, max_length=16)
    status: str = Field(primary_key=True, max_length=64)
    final: bool = Field(primary_key=True)
    overdue: bool = Field(primary_key=True)
    roles: str = Field(primary_key=True, max_length=100)
    administration_kind: str = Field(primary_key=True, max_length=64)
    dossiers: int = Field(default=0)


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


class PersonalDataErasure(SQLModel, table=True):
    """The audit of an applicant's erasure on request: who, why and when (one per dossier;
    a second request finds it and does nothing more)."""

    __tablename__ = "personal_data_erasures"

    dossier_id: UUID = Field(primary_key=True)
    erased_by: str = Field(max_length=255, description="The admin's name and staff id")
    reason: str = Field(sa_type=Text, description="Why, in the admin's words")
    erased_at: datetime = Field(sa_type=UtcDateTime)
