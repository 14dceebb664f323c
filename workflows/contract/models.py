"""Inputs, results and names of the contract workflow and its activities.

This module is the contract between the candidate dossier workflow (the parent), the contract
workflow, the contracts service and the pay policies. Pure pydantic: safe to pass through the
workflow sandbox. New fields get defaults, so running contracts' histories stay replayable.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.messages.common import Contact, Role
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from workflows.action_rules import ActionDate, NoteText

# Names on the wire (recorded in histories: never change one).
CONTRACT_WORKFLOW: Final = "ContractWorkflow"
"""The workflow type: the dossier workflow starts it as a child by name."""
APPLY_CONTRACT_ACTION: Final = "apply_contract_action"
"""Update: one action on the contract."""
CONTRACT_SNAPSHOT: Final = "contract_snapshot"
"""Query: the contract's status, terms and timeline."""
LOAD_PAY_POLICY: Final = "load_pay_policy"
PUBLISH_CONTRACT_EVENT: Final = "publish_contract_event"
"""Activities: the contract workflow calls them by name, never importing their clients.
``allocate_contract_number`` is the promotion's (``workflows.promotion.models``)."""


def contract_workflow_id(contract_id: UUID) -> str:
    return f"contract-{contract_id}"


class ContractAction(StrEnum):
    """Staff, admin and applicant actions on a contract."""

    SET_START_DATE = "set_start_date"  # staff, in drafted
    SEND_OFFER = "send_offer"  # staff, drafted → offer_sent
    ACCEPT = "accept"  # applicant (private link), offer_sent → accepted
    DECLINE = "decline"  # applicant (private link), offer_sent → declined
    COUNTERSIGN = "countersign"  # admin (for DINUM), accepted → signed
    # staff, signed|active|renewal_due → renewed, or ends at end_on (once per term)
    DECIDE_RENEWAL = "decide_renewal"


# --- Pay policy (data, versioned per promotion) --------------------------------------------


class PayBand(BaseModel):
    """One band of a pay policy: applies up to ``max_years_of_experience`` (None: no limit)."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(description="Stable label, e.g. up_to_10_years")
    max_years_of_experience: int | None = Field(
        default=None, ge=0, description="Inclusive upper bound; None for the last band"
    )
    monthly_net_eur: Decimal = Field(gt=0, description="Monthly net pay in euros")
    variable_percent: Decimal = Field(
        ge=0, le=100, description="Maximum variable part, % of the annual fixed net pay"
    )


class PayPolicy(BaseModel):
    """How a promotion's EIG are paid: the same for everyone with the same experience."""

    model_config = ConfigDict(frozen=True)

    promotion_number: int = Field(ge=1)
    version: str = Field(description="e.g. 7.1; recorded in every contract it priced")
    term_months: int = Field(ge=1, description="Length of a term (12 from the 7th promotion)")
    bands: list[PayBand] = Field(min_length=1, description="By increasing experience threshold")
    note: str = Field(default="", description="Where the figures come from (not used to price)")

    @model_validator(mode="after")
    def _bands_cover_every_experience_once(self) -> "PayPolicy":
        # Pricing picks the first band whose threshold is not exceeded: thresholds must rise,
        # and only the last band may (and must) be open-ended, so every experience has one band.
        *bounded, last = self.bands
        if last.max_years_of_experience is not None:
            raise ValueError("the last band must have no max_years_of_experience (no limit)")
        thresholds = [
            band.max_years_of_experience
            for band in bounded
            if band.max_years_of_experience is not None
        ]
        if len(thresholds) != len(bounded):
            raise ValueError("only the last band may have no max_years_of_experience")
        if any(low >= high for low, high in pairwise(thresholds)):
            raise ValueError("max_years_of_experience must increase from band to band")
        labels = [band.label for band in self.bands]
        if len(set(labels)) != len(labels):
            raise ValueError("band labels must be unique")
        return self


class LoadPayPolicyInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    promotion_number: int


# --- Workflow input, actions, snapshot ------------------------------------------------------


class ContractInput(BaseModel):
    """What the candidate dossier workflow gives its contract child when it is selected."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    dossier_id: UUID = Field(description="The candidate's dossier (the parent workflow)")
    promotion_number: int = Field(ge=1)
    contact: Contact = Field(description="The EIG")
    role: Role | None = None
    years_of_experience: int = Field(ge=0)
    project_dossier_id: UUID | None = None
    project_title: str = ""
    host_administration: str = ""
    host_contact: Contact | None = Field(
        default=None, description="The host administration's contact (mission letter)"
    )
    selected_at: datetime = Field(description="When the candidate was selected (workflow time)")
    offer_validity_days: int = Field(default=10, ge=1)
    offer_reminder_days: int = Field(
        default=3, ge=0, description="Days before the offer lapses that the reminder goes"
    )
    renewal_notice_months: int = Field(default=2, ge=1)


class ContractOutcome(BaseModel):
    """What the child tells its parent when it completes."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    status: ContractStatus = Field(description="ended, declined or offer_expired")


class ContractActionRequest(BaseModel):
    """Argument of the ``apply_contract_action`` update."""

    model_config = ConfigDict(frozen=True)

    action: str
    actor: str = Field(min_length=1, max_length=200, description="Staff id, or 'applicant'")
    actor_name: str = Field(
        default="", max_length=200, description="The staff member's display name, if known"
    )
    payload: dict[str, Any] = Field(default_factory=dict)


class ContractActionResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: ContractStatus
    allowed_actions: list[str]


class ContractTimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: ContractStatus
    at: datetime
    action: str = ""
    actor: str = "system"
    actor_name: str = ""
    note: str = ""
    version: int = 1


class ContractSnapshot(BaseModel):
    """Result of the ``contract_snapshot`` query."""

    model_config = ConfigDict(frozen=True)

    contract_id: UUID
    dossier_id: UUID
    status: ContractStatus | None
    allowed_actions: list[str] = Field(default_factory=list)
    terms: ContractTerms | None = Field(default=None, description="None until drafted")
    next_terms: ContractTerms | None = Field(default=None, description="After a renewal decision")
    offer_expires_at: datetime | None = None
    timeline: list[ContractTimelineEntry] = Field(default_factory=list)


class PublishContractEventInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    event: ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided


# --- Action bodies (published in the contracts API's OpenAPI) -------------------------------


class ContractActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetStartDate(ContractActionBody):
    start_on: ActionDate = Field(
        description="First day of the contract: a working day after today, within a year"
    )


class SendOffer(ContractActionBody):
    note: NoteText = Field(default="", description="Shown to the candidate")


class AcceptOffer(ContractActionBody):
    pass


class DeclineOffer(ContractActionBody):
    note: NoteText = Field(default="", description="Why, if the candidate says")


class Countersign(ContractActionBody):
    note: NoteText = Field(default="")


class DecideRenewal(ContractActionBody):
    renew: bool = Field(description="True: a new term follows; False: it ends at end_on")
    note: NoteText = Field(default="", description="Shown to the EIG")


CONTRACT_ACTION_BODIES: Final[dict[str, type[ContractActionBody]]] = {
    ContractAction.SET_START_DATE: SetStartDate,
    ContractAction.SEND_OFFER: SendOffer,
    ContractAction.ACCEPT: AcceptOffer,
    ContractAction.DECLINE: DeclineOffer,
    ContractAction.COUNTERSIGN: Countersign,
    ContractAction.DECIDE_RENEWAL: DecideRenewal,
}
