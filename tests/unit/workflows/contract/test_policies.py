"""Pay policy files: the committed ones load, a missing or broken one says what is wrong."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from tests.event_sinks import RecordedEvents
from workflows.contract.activities import ContractActivities
from workflows.contract.models import LoadPayPolicyInput, PayBand
from workflows.contract.policies import (
    POLICIES_DIR,
    InvalidPayPolicy,
    PayPolicyNotFound,
    load_pay_policy,
    policy_path,
)


def write_policy(directory: Path, number: int, content: str) -> None:
    policy_path(number, directory).write_text(content, encoding="utf-8")


def valid_policy(number: int = 8) -> dict[str, object]:
    return {
        "promotion_number": number,
        "version": f"{number}.1",
        "term_months": 12,
        "bands": [
            {
                "label": "up_to_5_years",
                "max_years_of_experience": 5,
                "monthly_net_eur": "4000",
                "variable_percent": "5",
            },
            {"label": "over_5_years", "monthly_net_eur": "4500", "variable_percent": "8"},
        ],
    }


class TestCommittedPolicies:
    def test_every_policy_file_is_valid_and_named_after_its_promotion(self) -> None:
        files = sorted(POLICIES_DIR.glob("promotion-*.json"))

        numbers = [int(path.stem.removeprefix("promotion-")) for path in files]

        assert numbers == [6, 7]
        for number in numbers:
            assert load_pay_policy(number).promotion_number == number

    def test_the_7th_promotion_policy(self) -> None:
        policy = load_pay_policy(7)

        assert (policy.version, policy.term_months) == ("7.1", 12)
        assert policy.bands == [
            PayBand(
                label="up_to_10_years",
                max_years_of_experience=10,
                monthly_net_eur=Decimal("4250"),
                variable_percent=Decimal("6"),
            ),
            PayBand(
                label="over_10_years",
                monthly_net_eur=Decimal("5000"),
                variable_percent=Decimal("10"),
            ),
        ]

    def test_the_earlier_policy_is_a_10_month_one(self) -> None:
        assert load_pay_policy(6).term_months == 10


class TestBrokenPolicies:
    def test_a_missing_file_names_the_promotion_and_the_path(self, tmp_path: Path) -> None:
        with pytest.raises(PayPolicyNotFound, match=r"promotion 9: .*promotion-9\.json"):
            load_pay_policy(9, tmp_path)

    def test_a_file_that_is_not_json(self, tmp_path: Path) -> None:
        write_policy(tmp_path, 8, "{ not json")

        with pytest.raises(InvalidPayPolicy, match="not valid JSON"):
            load_pay_policy(8, tmp_path)

    def test_a_band_without_an_amount_names_the_field(self, tmp_path: Path) -> None:
        policy = valid_policy()
        policy["bands"] = [{"label": "all", "variable_percent": "5"}]
        write_policy(tmp_path, 8, json.dumps(policy))

        with pytest.raises(InvalidPayPolicy, match=r"bands\.0\.monthly_net_eur: Field required"):
            load_pay_policy(8, tmp_path)

    def test_a_policy_filed_under_another_promotion(self, tmp_path: Path) -> None:
        write_policy(tmp_path, 9, json.dumps(valid_policy(8)))

        with pytest.raises(InvalidPayPolicy, match="policy of promotion 8, not of promotion 9"):
            load_pay_policy(9, tmp_path)

    def test_a_valid_file_in_another_directory(self, tmp_path: Path) -> None:
        write_policy(tmp_path, 8, json.dumps(valid_policy()))

        assert load_pay_policy(8, tmp_path).bands[1].label == "over_5_years"


class TestLoadPayPolicyActivity:
    @pytest.fixture
    def activities(self, tmp_path: Path) -> ContractActivities:
        # Loading a policy puts no event.
        return ContractActivities(RecordedEvents(), tmp_path)

    async def test_it_returns_the_policy(
        self, activities: ContractActivities, tmp_path: Path
    ) -> None:
        write_policy(tmp_path, 8, json.dumps(valid_policy()))

        policy = await ActivityEnvironment().run(
            activities.load_pay_policy, LoadPayPolicyInput(promotion_number=8)
        )

        assert policy.version == "8.1"

    async def test_a_missing_policy_is_a_typed_retryable_failure(
        self, activities: ContractActivities
    ) -> None:
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(
                activities.load_pay_policy, LoadPayPolicyInput(promotion_number=8)
            )

        # Retryable: the contract waits for a policy file to be deployed rather than fail.
        assert (failed.value.type, failed.value.non_retryable) == ("PayPolicyNotFound", False)

    async def test_an_invalid_policy_is_a_typed_failure(
        self, activities: ContractActivities, tmp_path: Path
    ) -> None:
        write_policy(tmp_path, 8, "[]")

        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(
                activities.load_pay_policy, LoadPayPolicyInput(promotion_number=8)
            )

        assert failed.value.type == "InvalidPayPolicy"
        assert "promotion-8.json" in failed.value.message
