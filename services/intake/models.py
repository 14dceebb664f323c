"""Intake's tables, all on ``SQLModel.metadata`` (Alembic migrations are generated from it).

Personal data lives only in ``applications.payload``: no other column holds names or e-mails.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class Application(SQLModel, table=True):
    """An accepted application; the dossier id is born here. Its submission event is written
    once the e-mail address is confirmed (``email_confirmed_at``, docs/adr/0024)."""

    __tablename__ = "applications"

    dossier_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=16, description="candidate or project")
    payload: dict[str, Any] = Field(sa_type=JSON, description="The form as submitted")
    title: str = Field(max_length=200, description="Project title, or the candidate's role")
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
    email_confirmed_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the contact confirmed the e-mail address: the dossier starts then "
        "(until then the application may expire and be purged)",
    )
    workflow_confirmed_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime, description="When the reconciler saw its workflow"
    )
    republish_count: int = Field(
        default=0, description="Times the reconciler republished it for want of a workflow"
    )
    reconcile_given_up_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the reconciler stopped republishing it (RECONCILE_MAX_REPUBLISHES)",
    )
    personal_data_erased_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the payload lost its personal data (retention or an erasure request)",
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


class RateLimitBucket(SQLModel, table=True):
    """Applications counted in one rate-limit window (services/intake/rate_limits.py).

    ``bucket`` is an HMAC of the client address or e-mail: no personal data in clear."""

    __tablename__ = "intake_rate_limits"

    bucket: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = Field(sa_type=UtcDateTime, index=True)
    hits: int = Field(default=1)


# The public results (GET /resultats): projections of dossier and contract events, one row per
# dossier, contract or renewal, so a replayed event rewrites the same row and counts once.
# No personal data: a project's title and administration are public once its partnership is
# signed; an EIG is counted by role and pay band, never named.


class PublicResultsDossier(SQLModel, table=True):
    """A dossier as the public results count it."""

    __tablename__ = "public_results_dossiers"

    dossier_id: UUID = Field(primary_key=True)
    promotion_number: int = Field(index=True)
    kind: str = Field(max_length=16, description="candidate or project")
    received_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime, description="When its workflow recorded it received"
    )
    status: str = Field(max_length=64, description="Its latest status")
    status_at: datetime = Field(sa_type=UtcDateTime, description="When it took that status")
    partnership_signed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    partnership_signed_on: date | None = Field(
        default=None, description="The signature's day as staff recorded it (signed_on)"
    )
    project_title: str = Field(default="", max_length=200, description="Project only")
    administration_name: str = Field(default="", max_length=200, description="Project only")


class PublicResultsContract(SQLModel, table=True):
    """A signed project contract: an EIG recruited, by role and pay band."""

    __tablename__ = "public_results_contracts"

    contract_id: UUID = Field(primary_key=True)
    promotion_number: int = Field(index=True)
    role: str = Field(default="", max_length=32, description="Empty in the oldest contracts")
    band: str = Field(max_length=64, description="Pay band label, e.g. up_to_10_years")
    signed_at: datetime = Field(sa_type=UtcDateTime)


class PublicResultsRenewal(SQLModel, table=True):
    """A contract renewed: one row per renewed term."""

    __tablename__ = "public_results_renewals"

    contract_id: UUID = Field(primary_key=True)
    version: int = Field(primary_key=True, description="The term that was renewed")
    promotion_number: int = Field(index=True)
    decided_at: datetime = Field(sa_type=UtcDateTime)


class PublicResultsPromotion(SQLModel, table=True):
    """A promotion's seat cap, as the latest selection's ``seats`` detail told it."""

    __tablename__ = "public_results_promotions"

    promotion_number: int = Field(primary_key=True)
    seat_cap: int
    seen_at: datetime = Field(sa_type=UtcDateTime, description="The event that told it")


class PublicResultsEvent(SQLModel, table=True):
    """An event the public results already counted: a replayed topic changes nothing."""

    __tablename__ = "public_results_events"

    event_id: UUID = Field(primary_key=True)
    recorded_at: datetime = Field(sa_type=UtcDateTime)
