"""Contract inputs and the committed pay policies, shared by the contract tests."""

import uuid
from datetime import UTC, datetime
from typing import Any

from libs.messages.common import Contact, Language, Role
from workflows.contract.models import ContractInput
from workflows.contract.policies import load_pay_policy

POLICY_7 = load_pay_policy(7)
POLICY_6 = load_pay_policy(6)


def contract_input(years_of_experience: int = 4, **fields: Any) -> ContractInput:
    """A contract as the candidate's dossier workflow starts it; ``fields`` override."""
    values: dict[str, Any] = {
        "contract_id": uuid.UUID("00000000-0000-4000-8000-0000000c0a01"),
        "dossier_id": uuid.UUID("00000000-0000-4000-8000-0000000c0a02"),
        "promotion_number": 7,
        "contact": Contact(name="Camille Martin", email="camille@example.org"),
        "role": Role.TECHNICAL_DIRECTOR,
        "years_of_experience": years_of_experience,
        "project_dossier_id": uuid.UUID("00000000-0000-4000-8000-0000000c0a03"),
        "project_title": "Détecter la fraude à la TVA",
        "host_administration": "DGFiP",
        "host_contact": Contact(name="Sam Bernard", email="sam@example.org", language=Language.EN),
        "selected_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    }
    return ContractInput.model_validate({**values, **fields})
