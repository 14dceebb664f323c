"""One translation of the workflows' refusals, shared by the dossier and contract clients."""

import pytest
from temporalio.exceptions import ApplicationError, CancelledError

from workflows import client_errors
from workflows.client_errors import (
    ActionNotAllowed,
    ActionRefused,
    InvalidActionBody,
    UnknownAction,
    WorkflowsUnavailable,
    refusal,
)
from workflows.contract import client as contract_client
from workflows.dossier import client as dossier_client


class TestRefusal:
    def test_an_action_not_allowed_keeps_status_and_allowed_actions(self) -> None:
        error = refusal(
            ApplicationError(
                "countersign is not allowed in status offer_sent",
                {"status": "offer_sent", "allowed_actions": ["accept", "decline"]},
                type="ActionNotAllowed",
            )
        )

        assert isinstance(error, ActionNotAllowed)
        assert (error.status, error.allowed_actions) == ("offer_sent", ["accept", "decline"])

    def test_an_invalid_body_keeps_its_fields(self) -> None:
        error = refusal(
            ApplicationError(
                "invalid",
                {"errors": [{"field": "start_on", "message": "a Saturday"}, "garbage"]},
                type="InvalidActionBody",
            )
        )

        assert isinstance(error, InvalidActionBody)
        assert error.errors == [{"field": "start_on", "message": "a Saturday"}]

    @pytest.mark.parametrize(
        ("error_type", "expected"),
        [
            ("UnknownAction", UnknownAction),
            ("ActionRefused", ActionRefused),
            ("SeatsExhausted", ActionRefused),
            ("PromotionUnavailable", WorkflowsUnavailable),
            (None, WorkflowsUnavailable),
        ],
    )
    def test_each_type_has_its_error(self, error_type: str | None, expected: type) -> None:
        assert isinstance(refusal(ApplicationError("x", type=error_type)), expected)

    def test_anything_but_an_application_error_is_an_outage(self) -> None:
        assert isinstance(refusal(CancelledError("gone")), WorkflowsUnavailable)


class TestOneTranslation:
    def test_both_clients_raise_the_same_errors(self) -> None:
        for name in (
            "ActionNotAllowed",
            "ActionRefused",
            "InvalidActionBody",
            "UnknownAction",
            "WorkflowsUnavailable",
        ):
            shared = getattr(client_errors, name)
            assert getattr(dossier_client, name) is shared
            assert getattr(contract_client, name) is shared
        assert issubclass(dossier_client.DossierNotFound, client_errors.WorkflowNotFound)
        assert issubclass(contract_client.ContractNotFound, client_errors.WorkflowNotFound)
