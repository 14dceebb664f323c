"""Inputs and query results of the dossier workflows and their activities.

One model per workflow and per activity, so fields can be added without breaking callers or
replaying histories (new fields get defaults). Pure pydantic: safe to pass through the sandbox.
"""

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.messages.common import Contact, DossierKind, Role
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from workflows.promotion.models import RoundRef

PUBLISH_STATUS_CHANGE: Final = "publish_status_change"
PUBLISH_DEADLINE_PASSED: Final = "publish_deadline_passed"
DESCRIBE_DOSSIER: Final = "describe_dossier"
"""Activity names; the workflow calls them by name so it never imports the clients."""

APPLY_ACTION: Final = "apply_action"
SNAPSHOT: Final = "snapshot"
"""Update and query names, for callers that address the workflow by name."""


class DossierInput(BaseModel):
    """What a dossier workflow starts from: the accepted application, without its form."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID = Field(description="The dossier; its workflow id is derived from it")
    kind: DossierKind = Field(description="Candidate or project dossier")
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact = Field(description="Who is told about every status change")
    submitted_at: datetime = Field(description="When intake accepted the application (UTC)")
    # Added with the staff-driven stages: defaults keep the inputs of running dossiers valid.
    requires_investigation: bool = Field(
        default=False,
        description="Project only: an evaluation outcome waits for an investigation (phase "
        "'none' or no beta.gouv.fr product page)",
    )
    role: Role | None = Field(default=None, description="Candidate only: the role applied for")
    profiles_wanted: list[Role] = Field(
        default_factory=list, description="Project only: the roles it wants"
    )
    stage_deadline_days: int = Field(
        default=14, ge=1, description="Days staff have at each stage before it is overdue"
    )
    promotion_number: int = Field(default=7, ge=1, description="Promotion the dossier joins")
    # Added with contracts: the pay band's only input, and the host named in the contract.
    years_of_experience: int | None = Field(
        default=None, ge=0, description="Candidate only: years of professional experience"
    )
    administration_name: str = Field(
        default="", description="Project only: the administration that would host the EIG"
    )
    offer_validity_days: int = Field(
        default=10, ge=1, description="Candidate only: days a contract offer stays open"
    )
    offer_reminder_days: int = Field(
        default=3, ge=0, description="Candidate only: days before an offer lapses to remind"
    )


class PublishStatusChangeInput(BaseModel):
    """The status change to put on ``eig.dossier-events.v1``."""

    model_config = ConfigDict(frozen=True)

    event: DossierStatusChanged


class PublishDeadlinePassedInput(BaseModel):
    """The staff reminder to put on ``eig.dossier-events.v1``."""

    model_config = ConfigDict(frozen=True)

    event: DossierDeadlinePassed


class DescribeDossierInput(BaseModel):
    """Which dossier's ``snapshot`` to read (e.g. the project a candidate is matched with)."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID


class ActionRequest(BaseModel):
    """Argument of the ``apply_action`` update: one staff (or applicant) action on the dossier."""

    model_config = ConfigDict(frozen=True)

    action: str = Field(description="Action name, e.g. record_review (see dossier/actions.py)")
    actor: str = Field(
        min_length=1,
        description="Who acts: a staff member's id, or 'applicant' for a withdrawal",
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The action's body, checked against its model"
    )


class ActionResult(BaseModel):
    """Result of the ``apply_action`` update: where the dossier is now."""

    model_config = ConfigDict(frozen=True)

    status: DossierStatus
    allowed_actions: list[str] = Field(description="What can be done next")


class TimelineEntry(BaseModel):
    """One step of a dossier's history, as shown to the applicant and to staff."""

    model_config = ConfigDict(frozen=True)

    status: DossierStatus
    at: datetime = Field(description="Workflow time of the change (UTC)")
    note: str = Field(default="", description="Staff note shown to the applicant, if any")
    action: str = Field(default="", description="The action that caused it; empty if automatic")
    outcome: str = Field(default="", description="The action's outcome (e.g. deferred)")
    actor: str = Field(default="system", description="Staff id, applicant or system")
    details: dict[str, str] = Field(default_factory=dict, description="e.g. round_id")


class DossierSnapshot(BaseModel):
    """Result of the ``snapshot`` query: the dossier's current status and how it got there."""

    model_config = ConfigDict(frozen=True)

    dossier_id: UUID
    kind: DossierKind
    status: DossierStatus | None = Field(
        description="Current status; None only before the workflow's first task has run"
    )
    timeline: list[TimelineEntry] = Field(default_factory=list)
    title: str = Field(default="", description="Project title, or the candidate's role")
    allowed_actions: list[str] = Field(default_factory=list, description="What can be done now")
    overdue: bool = Field(default=False, description="The current stage passed its deadline")
    deadline_at: datetime | None = Field(
        default=None, description="When the current stage is due; None if it waits for no one"
    )
    round: RoundRef | None = Field(default=None, description="The selection round joined")
    promotion_number: int = Field(default=7)
    role: Role | None = Field(default=None, description="Candidate only: the role applied for")
    profiles_wanted: list[Role] = Field(
        default_factory=list, description="Project only: the roles it wants"
    )
    requires_investigation: bool = Field(default=False)
    investigation_done: bool = Field(default=False)
    matched_project_id: UUID | None = Field(
        default=None, description="Candidate only: the project it is matched with"
    )
    administration_name: str = Field(default="", description="Project only: the host")
    contract_id: UUID | None = Field(
        default=None, description="Candidate only: the contract drafted since its selection"
    )
    contact: Contact | None = Field(
        default=None, description="Who the dossier's e-mails go to (a project: the host's contact)"
    )
