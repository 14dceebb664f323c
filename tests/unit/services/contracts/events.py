"""Contract terms and events as the contract workflow publishes them, for the contracts tests."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from libs.messages.common import Contact, Role
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EIG = Contact(name="Camille Martin", email="camille@example.org")

BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "up_to_10_years": (Decimal("4250.00"), Decimal("6")),
    "over_10_years": (Decimal("5000.00"), Decimal("10")),
}


def terms(
    *,
    number: str = "EIG-7-0001",
    version: int = 1,
    band: str = "up_to_10_years",
    years: int = 8,
    start_on: date = date(2026, 4, 1),
    promotion: int = 7,
    monthly: Decimal | None = None,
    **fields: Any,
) -> ContractTerms:
    """Terms priced like the 7th promotion's policy (4 250 € + 6 %, or 5 000 € + 10 %)."""
    band_monthly, variable_percent = BANDS[band]
    monthly = monthly if monthly is not None else band_monthly
    annual = monthly * 12
    values: dict[str, Any] = {
        "contract_number": number,
        "version": version,
        "promotion_number": promotion,
        "pay_policy_version": f"{promotion}.1",
        "eig_name": "Camille Martin",
        "role": Role.TECHNICAL_DIRECTOR,
        "years_of_experience": years,
        "band": band,
        "monthly_net_eur": monthly,
        "annual_fixed_net_eur": annual,
        "variable_percent": variable_percent,
        "max_annual_variable_eur": (annual * variable_percent / 100).quantize(Decimal("0.01")),
        "term_months": 12,
        "start_on": start_on,
        "end_on": date(start_on.year + 1, start_on.month, start_on.day) - timedelta(days=1),
        "project_title": "Signalement simplifié",
        "host_administration": "Direction générale des Finances publiques",
    }
    values.update(fields)
    return ContractTerms(**values)


@dataclass
class ContractStory:
    """One contract's ids and terms; builds its events."""

    contract_id: uuid.UUID = field(default_factory=uuid.uuid4)
    dossier_id: uuid.UUID = field(default_factory=uuid.uuid4)
    terms: ContractTerms = field(default_factory=terms)

    def changed(
        self,
        status: ContractStatus,
        *,
        at: datetime,
        version_terms: ContractTerms | None = None,
        **fields: Any,
    ) -> ContractStatusChanged:
        return ContractStatusChanged(
            dossier_id=self.dossier_id,
            contract_id=self.contract_id,
            status=status,
            terms=version_terms or self.terms,
            contact=EIG,
            occurred_at=at,
            **fields,
        )

    def reminder(self, *, at: datetime, expires_at: datetime) -> ContractOfferReminderDue:
        return ContractOfferReminderDue(
            dossier_id=self.dossier_id,
            contract_id=self.contract_id,
            terms=self.terms,
            contact=EIG,
            offer_expires_at=expires_at,
            occurred_at=at,
        )

    def renewal_decided(
        self, *, at: datetime, renew: bool, next_terms: ContractTerms | None = None
    ) -> ContractRenewalDecided:
        return ContractRenewalDecided(
            dossier_id=self.dossier_id,
            contract_id=self.contract_id,
            renew=renew,
            terms=self.terms,
            next_terms=next_terms,
            contact=EIG,
            actor="dev-staff",
            note="Très bonne année",
            occurred_at=at,
        )
