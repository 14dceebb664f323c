"""Inputs and query results of the dossier workflows and their activities.

One model per workflow and per activity, so fields can be added without breaking callers or
replaying histories (new fields get defaults). Pure pydantic: safe to pass through the sandbox.
"""

from datetime import datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged

PUBLISH_STATUS_CHANGE: Final = "publish_status_change"
"""Activity name; the workflow calls it by name so it never imports the Kafka client."""


class DossierInput(BaseModel):
    """What a dossier workflow starts from: the accepted application, without its form."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID = Field(description="The dossier; its workflow id is derived from it")
    kind: DossierKind = Field(description="Candidate or project dossier")
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact = Field(description="Who is told about every status change")
    submitted_at: datetime = Field(description="When intake accepted the application (UTC)")


class PublishStatusChangeInput(BaseModel):
    """The status change to put on ``eig.dossier-events.v1``."""

    model_config = ConfigDict(frozen=True)

    event: DossierStatusChanged


class TimelineEntry(BaseModel):
    """One step of a dossier's history, as shown to the applicant and to staff."""

    model_config = ConfigDict(frozen=True)

    status: DossierStatus
    at: datetime = Field(description="Workflow time of the change (UTC)")
    note: str = Field(default="", description="Staff note shown to the applicant, if any")


class DossierSnapshot(BaseModel):
    """Result of the ``snapshot`` query: the dossier's current status and how it got there."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID
    kind: DossierKind
    status: DossierStatus | None = Field(
        description="Current status; None only before the workflow's first task has run"
    )
    timeline: list[TimelineEntry] = Field(default_factory=list)
