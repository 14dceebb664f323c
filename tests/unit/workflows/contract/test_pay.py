"""Pay: the bands of the committed policies, and equal pay whatever else the dossier says."""

import inspect
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from libs.messages.common import Contact, Language, Role
from tests.unit.workflows.contract.contracts import POLICY_6, POLICY_7, contract_input
from workflows.contract.models import PayBand, PayPolicy
from workflows.contract.pay import band_for, pay_for, renewal_terms, terms, with_start_date


class TestBands:
    @pytest.mark.parametrize(
        ("years", "band", "monthly", "annual", "percent", "variable"),
        [
            (0, "up_to_10_years", "4250.00", "51000.00", "6", "3060.00"),
            (10, "up_to_10_years", "4250.00", "51000.00", "6", "3060.00"),
            (11, "over_10_years", "5000.00", "60000.00", "10", "6000.00"),
            (40, "over_10_years", "5000.00", "60000.00", "10", "6000.00"),
        ],
    )
    def test_the_7th_promotion_pays_by_experience_with_10_years_in_the_first_band(
        self, years: int, band: str, monthly: str, annual: str, percent: str, variable: str
    ) -> None:
        pay = pay_for(POLICY_7, years)

        assert (pay.band, pay.monthly_net_eur, pay.annual_fixed_net_eur) == (
            band,
            Decimal(monthly),
            Decimal(annual),
        )
        assert (pay.variable_percent, pay.max_annual_variable_eur) == (
            Decimal(percent),
            Decimal(variable),
        )

    def test_amounts_carry_two_decimals(self) -> None:
        pay = pay_for(POLICY_7, 3)

        assert [
            amount.as_tuple().exponent
            for amount in (
                pay.monthly_net_eur,
                pay.annual_fixed_net_eur,
                pay.max_annual_variable_eur,
            )
        ] == [-2, -2, -2]

    def test_a_variable_part_is_rounded_half_up_to_the_cent(self) -> None:
        policy = PayPolicy(
            promotion_number=9,
            version="9.1",
            term_months=12,
            bands=[
                PayBand(
                    label="all", monthly_net_eur=Decimal("1000.01"), variable_percent=Decimal(7)
                )
            ],
        )

        # 12,000.12 × 7 % = 840.0084
        assert pay_for(policy, 0).max_annual_variable_eur == Decimal("840.01")

    def test_negative_experience_is_refused(self) -> None:
        with pytest.raises(ValueError, match="years_of_experience"):
            band_for(POLICY_7, -1)


class TestTerms:
    def test_the_7th_promotion_gives_a_12_month_term_ending_the_day_before(self) -> None:
        drafted = terms(
            POLICY_7, contract_input(10), contract_number="EIG-7-0001", start_on=date(2026, 4, 1)
        )

        assert (drafted.term_months, drafted.start_on, drafted.end_on) == (
            12,
            date(2026, 4, 1),
            date(2027, 3, 31),
        )
        assert (drafted.pay_policy_version, drafted.version, drafted.band) == (
            "7.1",
            1,
            "up_to_10_years",
        )
        assert (drafted.eig_name, drafted.host_administration) == ("Camille Martin", "DGFiP")

    def test_the_6th_promotion_gives_a_10_month_term(self) -> None:
        drafted = terms(
            POLICY_6,
            contract_input(12, promotion_number=6),
            contract_number="EIG-6-0003",
            start_on=date(2022, 9, 1),
        )

        assert (drafted.term_months, drafted.end_on, drafted.pay_policy_version) == (
            10,
            date(2023, 6, 30),
            "6.1",
        )
        assert (drafted.band, drafted.monthly_net_eur, drafted.max_annual_variable_eur) == (
            "over_10_years",
            Decimal("5000.00"),
            Decimal("6000.00"),
        )

    def test_a_new_start_date_moves_the_end_with_it(self) -> None:
        drafted = terms(
            POLICY_7, contract_input(), contract_number="EIG-7-0001", start_on=date(2026, 4, 1)
        )

        moved = with_start_date(drafted, date(2026, 4, 15))

        assert (moved.start_on, moved.end_on) == (date(2026, 4, 15), date(2027, 4, 14))
        assert moved.monthly_net_eur == drafted.monthly_net_eur

    def test_a_renewal_keeps_the_number_and_counts_the_years_served(self) -> None:
        first = terms(
            POLICY_7, contract_input(10), contract_number="EIG-7-0001", start_on=date(2026, 4, 1)
        )

        second = renewal_terms(POLICY_7, contract_input(10), first, first_start_on=first.start_on)
        third = renewal_terms(POLICY_7, contract_input(10), second, first_start_on=first.start_on)

        assert (second.contract_number, second.version, second.start_on, second.end_on) == (
            "EIG-7-0001",
            2,
            date(2027, 4, 1),
            date(2028, 3, 31),
        )
        assert (second.years_of_experience, second.band, second.monthly_net_eur) == (
            11,
            "over_10_years",
            Decimal("5000.00"),
        )
        assert (third.version, third.years_of_experience) == (3, 12)

    def test_a_10_month_renewal_counts_only_whole_years(self) -> None:
        contract = contract_input(10, promotion_number=6)
        first = terms(POLICY_6, contract, contract_number="EIG-6-0001", start_on=date(2022, 9, 1))

        second = renewal_terms(POLICY_6, contract, first, first_start_on=first.start_on)
        third = renewal_terms(POLICY_6, contract, second, first_start_on=first.start_on)

        # 10 months served: still 10 years; 20 months: one whole year more.
        assert (second.start_on, second.years_of_experience, second.band) == (
            date(2023, 7, 1),
            10,
            "up_to_10_years",
        )
        assert (third.start_on, third.years_of_experience, third.band) == (
            date(2024, 5, 1),
            11,
            "over_10_years",
        )


# --- Equal pay: nothing but the policy and the experience changes the amounts ----------------

names = st.text(min_size=1, max_size=40)
emails = st.builds(
    lambda user, domain: f"{user}@{domain}.org",
    st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z]{2,12}", fullmatch=True),
)
contacts = st.builds(Contact, name=names, email=emails, language=st.sampled_from(Language))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
other_fields = st.fixed_dictionaries(
    {
        "contract_id": st.uuids(),
        "dossier_id": st.uuids(),
        "contact": contacts,
        "role": st.one_of(st.none(), st.sampled_from(Role)),
        "project_dossier_id": st.one_of(st.none(), st.uuids()),
        "project_title": st.text(max_size=80),
        "host_administration": st.text(max_size=80),
        "host_contact": st.one_of(st.none(), contacts),
        "selected_at": moments,
        "offer_validity_days": st.integers(min_value=1, max_value=60),
        "offer_reminder_days": st.integers(min_value=0, max_value=30),
        "renewal_notice_months": st.integers(min_value=1, max_value=6),
    }
)
start_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
AMOUNTS = (
    "band",
    "monthly_net_eur",
    "annual_fixed_net_eur",
    "variable_percent",
    "max_annual_variable_eur",
)


class TestEqualPay:
    @settings(deadline=None)
    @given(
        years=st.integers(min_value=0, max_value=50),
        policy=st.sampled_from([POLICY_6, POLICY_7]),
        first=other_fields,
        second=other_fields,
        first_start=start_days,
        second_start=start_days,
    )
    def test_two_dossiers_with_the_same_experience_get_the_same_pay(
        self,
        years: int,
        policy: PayPolicy,
        first: dict[str, object],
        second: dict[str, object],
        first_start: date,
        second_start: date,
    ) -> None:
        number = policy.promotion_number
        one = terms(
            policy,
            contract_input(years, promotion_number=number, **first),
            contract_number="EIG-0001",
            start_on=first_start,
        )
        other = terms(
            policy,
            contract_input(years, promotion_number=number, **second),
            contract_number="EIG-0002",
            start_on=second_start,
        )

        expected = pay_for(policy, years)
        for field in AMOUNTS:
            assert getattr(one, field) == getattr(other, field) == getattr(expected, field)

    @settings(deadline=None)
    @given(first=other_fields, second=other_fields)
    def test_only_experience_moves_a_dossier_across_the_band_boundary(
        self, first: dict[str, object], second: dict[str, object]
    ) -> None:
        at_ten = terms(
            POLICY_7,
            contract_input(10, **first),
            contract_number="EIG-7-1",
            start_on=date(2026, 4, 1),
        )
        at_eleven = terms(
            POLICY_7,
            contract_input(11, **second),
            contract_number="EIG-7-2",
            start_on=date(2026, 4, 1),
        )

        assert (at_ten.monthly_net_eur, at_ten.variable_percent) == (Decimal("4250.00"), Decimal(6))
        assert (at_eleven.monthly_net_eur, at_eleven.variable_percent) == (
            Decimal("5000.00"),
            Decimal(10),
        )

    def test_the_amounts_are_computed_without_the_dossier(self) -> None:
        # The pricing function's only inputs: a policy and a number of years.
        assert list(inspect.signature(pay_for).parameters) == ["policy", "years_of_experience"]


class TestPolicyModel:
    def test_a_policy_whose_last_band_is_bounded_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="last band"):
            PayPolicy(
                promotion_number=7,
                version="x",
                term_months=12,
                bands=[
                    PayBand(
                        label="a",
                        max_years_of_experience=10,
                        monthly_net_eur=Decimal("1"),
                        variable_percent=Decimal("1"),
                    )
                ],
            )

    def test_a_policy_whose_thresholds_do_not_rise_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="increase"):
            PayPolicy(
                promotion_number=7,
                version="x",
                term_months=12,
                bands=[
                    PayBand(
                        label="a",
                        max_years_of_experience=10,
                        monthly_net_eur=Decimal("1"),
                        variable_percent=Decimal("1"),
                    ),
                    PayBand(
                        label="b",
                        max_years_of_experience=5,
                        monthly_net_eur=Decimal("2"),
                        variable_percent=Decimal("1"),
                    ),
                    PayBand(label="c", monthly_net_eur=Decimal("3"), variable_percent=Decimal("1")),
                ],
            )

    def test_an_unbounded_band_before_the_last_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="only the last band"):
            PayPolicy(
                promotion_number=7,
                version="x",
                term_months=12,
                bands=[
                    PayBand(label="a", monthly_net_eur=Decimal("1"), variable_percent=Decimal("1")),
                    PayBand(label="b", monthly_net_eur=Decimal("2"), variable_percent=Decimal("1")),
                ],
            )
