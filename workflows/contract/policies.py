"""The pay policies: data files, one per promotion, read and checked here.

``pay_policies/promotion-{number}.json`` holds a ``PayPolicy`` (term, bands, amounts). Changing
pay means editing (or adding) a file, never code; a new version string marks the change, and
every contract records the version that priced it. Only the ``load_pay_policy`` activity reads
them: the contract workflow never touches files.
"""

import json
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from workflows.contract.models import PayPolicy

POLICIES_DIR: Final = Path(__file__).resolve().parent / "pay_policies"


class PayPolicyError(Exception):
    """A promotion's pay policy cannot be used; the message names the file and the fault."""


class PayPolicyNotFound(PayPolicyError):
    """No policy file for the promotion."""


class InvalidPayPolicy(PayPolicyError):
    """The file exists but is not a valid policy for the promotion."""


def policy_path(promotion_number: int, directory: Path = POLICIES_DIR) -> Path:
    return directory / f"promotion-{promotion_number}.json"


def load_pay_policy(promotion_number: int, directory: Path = POLICIES_DIR) -> PayPolicy:
    """The promotion's policy, validated; PayPolicyNotFound / InvalidPayPolicy otherwise."""
    path = policy_path(promotion_number, directory)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PayPolicyNotFound(
            f"no pay policy for promotion {promotion_number}: {path} does not exist"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidPayPolicy(f"{path} is not valid JSON: {error}") from None
    try:
        policy = PayPolicy.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'policy'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise InvalidPayPolicy(f"{path} is not a valid pay policy: {problems}") from None
    if policy.promotion_number != promotion_number:
        raise InvalidPayPolicy(
            f"{path} is the policy of promotion {policy.promotion_number}, "
            f"not of promotion {promotion_number}"
        )
    return policy
