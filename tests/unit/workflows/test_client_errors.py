"""One translation of the workflows' refusals, shared by the dossier, contract and promotion
clients."""

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
from workflows.error_types import ErrorType
from workflows.promotion import client as promotion_client


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

    @pytest.mark.parametrize("error_type", [ErrorType.INVALID_ROUND, ErrorType.NAIVE_DATETIME])
    def test_a_refused_value_is_an_invalid_body_naming_its_field(
        self, error_type: ErrorType
    ) -> None:
        error = refusal(
            ApplicationError(
                "cutoff_at must carry a time zone", {"field": "cutoff_at"}, type=error_type
            )
        )

        assert isinstance(error, InvalidActionBody)
        assert error.errors == [
            {"field": "cutoff_at", "message": "cutoff_at must carry a time zone"}
        ]

    def test_a_taken_round_id_is_refused_naming_it(self) -> None:
        error = refusal(
            ApplicationError(
                "round_id 7-r1 already exists", {"field": "round_id"}, type=ErrorType.ROUND_EXISTS
            )
        )

        assert isinstance(error, ActionRefused)
        assert (error.reason, error.field) == ("round_id 7-r1 already exists", "round_id")

    def test_anything_but_an_application_error_is_an_outage(self) -> None:
        assert isinstance(refusal(CancelledError("gone")), WorkflowsUnavailable)


class TestOneTranslation:
    def test_the_clients_raise_the_shared_errors_without_re_exporting_them(self) -> None:
        for name in (
            "ActionNotAllowed",
            "ActionRefused",
            "InvalidActionBody",
            "UnknownAction",
            "WorkflowsUnavailable",
        ):
            assert hasattr(client_errors, name)
            for client in (dossier_client, contract_client, promotion_client):
                assert not hasattr(client, name) or getattr(client, name) is getattr(
                    client_errors, name
                ), (client.__name__, name)

    def test_every_not_found_error_is_a_workflow_not_found(self) -> None:
        for not_found in (
            dossier_client.DossierNotFound,
            contract_client.ContractNotFound,
            promotion_client.PromotionNotFound,
            promotion_client.RoundNotFound,
        ):
            assert issubclass(not_found, client_errors.WorkflowNotFound)
