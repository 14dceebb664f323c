"""Contract events, published by the contract workflows on ``eig.contract-events.v1``.

Key: the candidate's dossier id (``dossier_id``), so a dossier's contract events keep their
order. Schema changes inside v1 are additive only; consumers ignore types they do not handle.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from libs.messages.common import Contact, Role
from libs.messages.envelope import Event


class ContractStatus(StrEnum):
    """Every status of an EIG's project contract."""

    DRAFTED = "drafted"
    OFFER_SENT = "offer_sent"
    ACCEPTED = "accepted"
    SIGNED = "signed"
    ACTIVE = "active"
    RENEWAL_DUE = "renewal_due"
    RENEWED = "renewed"
    ENDED = "ended"
    DECLINED = "declined"
    OFFER_EXPIRED = "offer_expired"


FINAL_CONTRACT_STATUSES = frozenset(
    {ContractStatus.ENDED, ContractStatus.DECLINED, ContractStatus.OFFER_EXPIRED}
)
"""Statuses no action leaves; declined and offer_expired give the seat back."""


class ContractTerms(BaseModel):
    """What a contract version says: who, where, when, and how much (amounts in euros, net).

    Computed once per version by the contract workflow from the promotion's pay policy and the
    candidate's years of experience, then carried unchanged by every event of that version.
    """

    model_config = ConfigDict(frozen=True)

    contract_number: str = Field(description="Unique per programme, e.g. EIG-7-0001")
    version: int = Field(ge=1, description="1 for the first term; +1 at each renewal")
    promotion_number: int = Field(ge=1)
    pay_policy_version: str = Field(description="Version of the pay policy applied, e.g. 7.1")
    eig_name: str = Field(description="The EIG's full name")
    role: Role | None = Field(default=None, description="The role the EIG was selected for")
    years_of_experience: int = Field(ge=0, description="The only input of the pay band")
    band: str = Field(description="Pay band label, e.g. 'up_to_10_years'")
    monthly_net_eur: Decimal = Field(description="Monthly net pay")
    annual_fixed_net_eur: Decimal = Field(description="Monthly net pay × 12")
    variable_percent: Decimal = Field(description="Maximum variable part, % of annual fixed pay")
    max_annual_variable_eur: Decimal = Field(description="annual_fixed_net_eur × variable_percent")
    term_months: int = Field(ge=1, description="Length of the term")
    start_on: date = Field(description="First day of the term")
    end_on: date = Field(description="Last day of the term")
    project_dossier_id: UUID | None = Field(default=None, description="The project dossier")
    project_title: str = Field(default="", description="The project the EIG joins")
    host_administration: str = Field(default="", description="The administration hosting it")


class ContractStatusChanged(Event):
    """A contract moved to a new status (the contract workflow is the authority on it)."""

    type: Literal["ContractStatusChanged"] = "ContractStatusChanged"
    schema_version: int = Field(
        default=2, description="2: adds actor_name (version 1 events read with it empty)"
    )
    contract_id: UUID = Field(description="The contract (stable across versions)")
    status: ContractStatus = Field(description="The new status")
    previous_status: ContractStatus | None = Field(default=None, description="Status before")
    terms: ContractTerms = Field(description="The current version's terms")
    contact: Contact = Field(description="The EIG: receives the applicant-visible e-mails")
    host_contact: Contact | None = Field(
        default=None, description="The host administration's contact (mission letter)"
    )
    action: str = Field(default="", description="The action that caused it; empty if automatic")
    actor: str = Field(default="system", description="Staff id, applicant or system")
    actor_name: str = Field(
        default="", description="The staff member's display name (empty for others)"
    )
    note: str = Field(default="", description="Note shown to the EIG, if any")
    offer_expires_at: datetime | None = Field(
        default=None, description="offer_sent only: when the offer lapses"
    )
    renewal_declined: bool = Field(
        default=False,
        description="renewal_due only: staff already decided not to renew (decided early); "
        "nothing is left to decide, the contract ends at end_on",
    )


class ContractOfferReminderDue(Event):
    """An offer is still unanswered a few days before it lapses: the candidate is reminded."""

    type: Literal["ContractOfferReminderDue"] = "ContractOfferReminderDue"
    contract_id: UUID
    terms: ContractTerms
    contact: Contact
    offer_expires_at: datetime


class ContractRenewalDecided(Event):
    """Staff decided whether the contract is renewed; the EIG is told either way."""

    type: Literal["ContractRenewalDecided"] = "ContractRenewalDecided"
    schema_version: int = Field(
        default=2, description="2: adds actor_name (version 1 events read with it empty)"
    )
    contract_id: UUID
    renew: bool = Field(description="True: a new term follows; False: it ends on end_on")
    terms: ContractTerms = Field(description="The current (ending) version's terms")
    next_terms: ContractTerms | None = Field(
        default=None, description="renew only: the next version's terms"
    )
    contact: Contact
    actor: str = Field(default="system")
    actor_name: str = Field(default="", description="The staff member's display name")
    note: str = Field(default="")


ContractEvent = Annotated[
    ContractStatusChanged | ContractOfferReminderDue | ContractRenewalDecided,
    Field(discriminator="type"),
]
"""What travels on ``eig.contract-events.v1``."""
