"""Response bodies of the contracts API (request bodies are the workflow's action models)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.api_errors import ErrorResponse
from libs.messages.contract_events import ContractStatus, ContractTerms

StateSource = Literal["workflow", "read_model"]


class ContractSummary(BaseModel):
    """One line of the contract list (read model)."""

    contract_id: UUID
    dossier_id: UUID = Field(description="The candidate's dossier")
    contract_number: str
    version: int
    status: ContractStatus
    promotion_number: int
    band: str = Field(description="Pay band of the current version")
    monthly_net_eur: Decimal
    eig_name: str
    host_administration: str
    project_title: str
    start_on: date
    end_on: date
    offer_expires_at: datetime | None = Field(description="offer_sent: when the offer lapses")
    updated_at: datetime = Field(description="When the status last changed")


class ContractPage(BaseModel):
    items: list[ContractSummary]
    total: int = Field(description="Contracts matching the filters, all pages together")


class TimelineItem(BaseModel):
    event: Literal["status_changed", "offer_reminder", "renewal_decided"]
    status: ContractStatus = Field(description="The status it moved to (or was in)")
    at: datetime = Field(description="When it happened (UTC)")
    action: str = Field(description="The action that caused it; empty if automatic")
    actor: str = Field(description="Staff id, applicant or system")
    actor_name: str = Field(default="", description="The staff member's display name, if known")
    note: str
    version: int = Field(description="The contract version it concerns")
    renew: bool | None = Field(default=None, description="renewal_decided: the decision")


class DocumentLinks(BaseModel):
    html: str
    pdf: str


class ContractDetail(BaseModel):
    contract_id: UUID
    dossier_id: UUID
    status: ContractStatus
    terms: ContractTerms = Field(description="The current version's terms")
    next_terms: ContractTerms | None = Field(
        description="After a decision to renew: the next version's terms"
    )
    renewal_decision: bool | None = Field(
        description="For the current version: true renew, false end, null not decided"
    )
    offer_expires_at: datetime | None
    eig_email: str | None = Field(description="The EIG's address; null until the read model has it")
    updated_at: datetime | None = Field(description="Last status change known to the read model")
    timeline: list[TimelineItem]
    allowed_actions: list[str] = Field(description="What can be done now")
    state_source: StateSource = Field(
        description="workflow: status, terms and allowed_actions come from the contract "
        "workflow (authoritative); read_model: the workflow could not be asked (Temporal "
        "unreachable), they come from the read model and allowed_actions is empty"
    )
    documents: DocumentLinks


class ActionOutcome(BaseModel):
    """Where the contract is after the action."""

    status: ContractStatus
    allowed_actions: list[str] = Field(description="What can be done next")


class ApplicantAnswer(ActionOutcome):
    contract_id: UUID


class ActionConflict(ErrorResponse):
    """409: the contract's status does not allow the action."""

    status: str | None = Field(default=None, description="The contract's current status")
    allowed_actions: list[str] = Field(default_factory=list, description="What can be done now")


class PayCheck(BaseModel):
    """Pay equity within a band: every contract of the band has the same pay."""

    identical: bool = Field(description="True when all counted contracts share one pay")
    monthly_net_eur_values: list[Decimal] = Field(description="Distinct monthly net amounts")
    variable_percent_values: list[Decimal] = Field(description="Distinct variable percentages")
    pay_policy_versions: list[str] = Field(description="Policies that priced these contracts")


class BandLine(BaseModel):
    band: str
    contracts: int = Field(description="Counted contracts in the band")
    monthly_net_eur: Decimal | None = Field(
        description="The band's monthly net pay; null when the check fails"
    )
    variable_percent: Decimal | None
    annual_fixed_net_eur_total: Decimal = Field(description="Sum of annual fixed net pay")
    max_annual_variable_eur_total: Decimal = Field(description="Sum of maximum variable amounts")
    check: PayCheck


class PromotionPayLines(BaseModel):
    promotion_number: int
    bands: list[BandLine]
    contracts: int
    annual_fixed_net_eur_total: Decimal
    max_annual_variable_eur_total: Decimal


class PayReport(BaseModel):
    counted_statuses: list[ContractStatus] = Field(
        description="Contracts counted: their current version, in one of these statuses"
    )
    promotions: list[PromotionPayLines]
