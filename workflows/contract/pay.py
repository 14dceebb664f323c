"""Pay as a pure function of the promotion's policy and the EIG's years of experience.

Nothing else about the EIG (name, contact, language, role, project, host, dates) is an input
of ``pay_for``: that is the programme's equal-pay rule, and tests/unit/workflows/contract
checks it with generated dossiers. Amounts are Decimal euros, rounded half up to the cent.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from libs.messages.contract_events import ContractTerms
from workflows.contract.models import ContractInput, PayBand, PayPolicy
from workflows.contract.working_days import end_of_term, whole_years_between

CENT: Final = Decimal("0.01")
MONTHS_PER_YEAR: Final = 12


def euros(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Pay:
    """What a contract states about pay (net amounts, euros)."""

    band: str
    monthly_net_eur: Decimal
    annual_fixed_net_eur: Decimal
    variable_percent: Decimal
    max_annual_variable_eur: Decimal


def band_for(policy: PayPolicy, years_of_experience: int) -> PayBand:
    """The first band whose threshold the experience does not exceed (the last is unbounded)."""
    if years_of_experience < 0:
        raise ValueError("years_of_experience must not be negative")
    for band in policy.bands:
        limit = band.max_years_of_experience
        if limit is None or years_of_experience <= limit:
            return band
    # PayPolicy guarantees an unbounded last band; reaching here means it was bypassed.
    raise ValueError(f"pay policy {policy.version} has no band for {years_of_experience} years")


def pay_for(policy: PayPolicy, years_of_experience: int) -> Pay:
    band = band_for(policy, years_of_experience)
    monthly = euros(band.monthly_net_eur)
    annual_fixed = euros(monthly * MONTHS_PER_YEAR)
    return Pay(
        band=band.label,
        monthly_net_eur=monthly,
        annual_fixed_net_eur=annual_fixed,
        variable_percent=band.variable_percent,
        max_annual_variable_eur=euros(annual_fixed * band.variable_percent / 100),
    )


def terms(
    policy: PayPolicy,
    contract: ContractInput,
    *,
    contract_number: str,
    start_on: date,
    version: int = 1,
    years_of_experience: int | None = None,
) -> ContractTerms:
    """A contract version's terms: pay from the policy and experience, dates from the policy's
    term. ``years_of_experience`` defaults to the candidate's (a renewal adds the years served).
    """
    years = contract.years_of_experience if years_of_experience is None else years_of_experience
    pay = pay_for(policy, years)
    return ContractTerms(
        contract_number=contract_number,
        version=version,
        promotion_number=policy.promotion_number,
        pay_policy_version=policy.version,
        eig_name=contract.contact.name,
        role=contract.role,
        years_of_experience=years,
        band=pay.band,
        monthly_net_eur=pay.monthly_net_eur,
        annual_fixed_net_eur=pay.annual_fixed_net_eur,
        variable_percent=pay.variable_percent,
        max_annual_variable_eur=pay.max_annual_variable_eur,
        term_months=policy.term_months,
        start_on=start_on,
        end_on=end_of_term(start_on, policy.term_months),
        project_dossier_id=contract.project_dossier_id,
        project_title=contract.project_title,
        host_administration=contract.host_administration,
    )


def with_start_date(current: ContractTerms, start_on: date) -> ContractTerms:
    """The same version starting on another day (its end moves with it)."""
    return current.model_copy(
        update={"start_on": start_on, "end_on": end_of_term(start_on, current.term_months)}
    )


def renewal_terms(
    policy: PayPolicy, contract: ContractInput, current: ContractTerms, first_start_on: date
) -> ContractTerms:
    """The next version: same number, the policy's term from the day after the current end,
    and the band recomputed with the whole years served since the first term began."""
    next_start = date.fromordinal(current.end_on.toordinal() + 1)
    return terms(
        policy,
        contract,
        contract_number=current.contract_number,
        start_on=next_start,
        version=current.version + 1,
        years_of_experience=(
            contract.years_of_experience + whole_years_between(first_start_on, next_start)
        ),
    )
