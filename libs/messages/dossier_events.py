"""Dossier events, published by the dossier workflows on ``eig.dossier-events.v1``.

Schema changes inside v1 are additive only (new optional fields, new event types); consumers
ignore event types they do not handle.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from libs.messages.common import Contact, DossierKind
from libs.messages.envelope import Event


class DossierStatus(StrEnum):
    """Every status a dossier can be in (project and candidate paths)."""

    RECEIVED = "received"
    WITHDRAWN = "withdrawn"
    # Project dossiers.
    IN_EVALUATION = "in_evaluation"
    INVESTIGATION_REQUESTED = "investigation_requested"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SCHEDULED = "scheduled"
    DEFENDED = "defended"
    NOT_SELECTED = "not_selected"
    PARTNERSHIP_SIGNED = "partnership_signed"
    # Candidate dossiers.
    IN_REVIEW = "in_review"
    INTERVIEW = "interview"
    REJECTED = "rejected"
    IN_POOL = "in_pool"
    MATCHED = "matched"
    # Both.
    SELECTED = "selected"


FINAL_STATUSES = frozenset(
    {
        DossierStatus.WITHDRAWN,
        DossierStatus.INELIGIBLE,
        DossierStatus.NOT_SELECTED,
        DossierStatus.REJECTED,
    }
)
"""Statuses no action leaves."""


class Outcome(StrEnum):
    """Action outcomes that say more than the status they lead to (``outcome`` field)."""

    DEFERRED = "deferred"
    """The jury moved a project to the next round."""
    BACK_TO_POOL = "back_to_pool"
    """A joint interview did not lead to a recruitment: the candidate is back in the pool."""
    CONTRACT_DECLINED = "contract_declined"
    """The selected candidate declined the contract offer: back in the pool, seat released."""
    OFFER_EXPIRED = "offer_expired"
    """The contract offer lapsed unanswered: back in the pool, seat released."""


class Detail(StrEnum):
    """Every key of ``DossierStatusChanged.details`` (values are text; dates in ISO 8601)."""

    # The round joined (scheduled, a candidate's round) or the one the step happened in.
    ROUND_ID = "round_id"
    CUTOFF_AT = "cutoff_at"
    DELIBERATION_DATE = "deliberation_date"
    DEFENCE_DATE = "defence_date"
    # A deferral: the round the project was deferred from (it joined the next, if any).
    DEFERRED_FROM_ROUND_ID = "deferred_from_round_id"
    DEFERRED_FROM_CUTOFF_AT = "deferred_from_cutoff_at"
    DEFERRED_FROM_DELIBERATION_DATE = "deferred_from_deliberation_date"
    # partnership_signed.
    SIGNED_ON = "signed_on"
    # A candidate matched with a project, then selected.
    PROJECT_DOSSIER_ID = "project_dossier_id"
    PROJECT_TITLE = "project_title"
    SEATS = "seats"
    """The promotion's seats once this one is taken, e.g. ``12/30``."""
    CONTRACT_ID = "contract_id"
    """The contract drafted on selection, or the one declined or lapsed (back to in_pool)."""


DEFERRED_FROM: dict[Detail, Detail] = {
    Detail.ROUND_ID: Detail.DEFERRED_FROM_ROUND_ID,
    Detail.CUTOFF_AT: Detail.DEFERRED_FROM_CUTOFF_AT,
    Detail.DELIBERATION_DATE: Detail.DEFERRED_FROM_DELIBERATION_DATE,
}
"""A deferral's key for each key of the round it was deferred from."""


class DossierStatusChanged(Event):
    """A dossier moved to a new status (the workflow is the authority on it)."""

    type: Literal["DossierStatusChanged"] = "DossierStatusChanged"
    # 2: promotion_number and administration_name added (the public results read them).
    schema_version: int = Field(default=2, description="Version of this event type's schema")
    kind: DossierKind = Field(description="Candidate or project dossier")
    status: DossierStatus = Field(description="The new status")
    previous_status: DossierStatus | None = Field(default=None, description="Status before")
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact = Field(description="Who is told about it")
    note: str = Field(default="", description="Staff note shown to the applicant, if any")
    action: str = Field(
        default="",
        description="The action that caused it (e.g. record_review); empty for automatic steps",
    )
    outcome: str = Field(
        default="",
        description="The action's outcome when it names more than the status "
        "(e.g. deferred, back_to_pool)",
    )
    actor: str = Field(default="system", description="Who acted: staff id, applicant or system")
    actor_name: str = Field(
        default="", description="The staff member's display name (empty for others)"
    )
    details: dict[str, str] = Field(
        default_factory=dict,
        description="Facts the applicant is told (e.g. round_id, defence_date, project_title)",
    )
    promotion_number: int | None = Field(
        default=None,
        ge=1,
        description="The promotion the dossier joins (schema version 2; absent before)",
    )
    administration_name: str = Field(
        default="",
        description="Project only: the administration that submitted it, public once its "
        "partnership is signed (schema version 2; empty before)",
    )


class DossierDeadlinePassed(Event):
    """A stage that waits for staff passed its deadline: staff get a reminder."""

    type: Literal["DossierDeadlinePassed"] = "DossierDeadlinePassed"
    kind: DossierKind = Field(description="Candidate or project dossier")
    status: DossierStatus = Field(description="The stage that is overdue")
    title: str = Field(description="Project title, or the candidate's role")
    deadline_at: datetime = Field(description="When the stage was due")


DossierEvent = Annotated[DossierStatusChanged | DossierDeadlinePassed, Field(discriminator="type")]
"""What travels on ``eig.dossier-events.v1``."""
