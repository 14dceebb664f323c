"""Contracts' tables, all on ``SQLModel.metadata`` (Alembic migrations are generated from it).

A read model fed by ``eig.contract-events.v1``: the contract workflow stays the authority on
status. ``contracts`` holds each contract's current version (terms as the workflow computed
them, amounts kept as exact decimal strings in JSON); ``contract_timeline_entries`` holds every
event once (deduplicated on its id). Personal data: the EIG's name and e-mail, for display.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from libs.database import UtcDateTime


class ContractRecord(SQLModel, table=True):
    """One contract at its newest known version and status."""

    __tablename__ = "contracts"

    contract_id: UUID = Field(primary_key=True)
    dossier_id: UUID = Field(index=True, description="The candidate's dossier")
    contract_number: str = Field(max_length=32, index=True, description="e.g. EIG-7-0001")
    version: int = Field(description="The current version (1, then +1 at each renewal)")
    status: str = Field(max_length=32, index=True)
    promotion_number: int = Field(index=True)
    band: str = Field(max_length=64, description="Pay band label of the current version")
    eig_name: str = Field(max_length=255)
    contact_email: str = Field(max_length=320, description="The EIG's address (display only)")
    host_administration: str = Field(default="", max_length=300)
    project_title: str = Field(default="", max_length=300)
    start_on: date
    end_on: date
    terms: dict[str, Any] = Field(sa_type=JSON, description="ContractTerms of the version")
    next_terms: dict[str, Any] | None = Field(
        default=None, sa_type=JSON, description="The next version's terms, once renewal decided"
    )
    renewal_decision: bool | None = Field(
        default=None, description="For the current version: True renew, False end, None not yet"
    )
    offer_expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(
        sa_type=UtcDateTime, index=True, description="When the status event shown happened"
    )
    personal_data_erased_at: datetime | None = Field(
        default=None,
        sa_type=UtcDateTime,
        description="When the EIG's name and e-mail were erased (retention or an erasure)",
    )


class ContractTimelineRecord(SQLModel, table=True):
    """One contract event: a status change, an offer reminder or a renewal decision."""

    __tablename__ = "contract_timeline_entries"

    event_id: UUID = Field(primary_key=True)
    contract_id: UUID = Field(index=True)
    event_type: str = Field(
        max_length=64, description="The event's type, e.g. ContractStatusChanged"
    )
    status: str = Field(max_length=32, description="The status it moved to, or was in")
    action: str = Field(default="", max_length=64)
    actor: str = Field(default="system", max_length=255)
    actor_name: str = Field(default="", max_length=200, description="The actor's display name")
    note: str = Field(default="", sa_type=Text)
    version: int = Field(description="The contract version it concerns")
    renew: bool | None = Field(default=None, description="Renewal decisions only")
    occurred_at: datetime = Field(sa_type=UtcDateTime)
