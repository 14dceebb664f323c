"""The bridge's translation of application messages, without engines (see the integration tests)."""

import pytest

from libs.messages.applications import BetaGouvPhase, ProjectApplicationSubmitted
from libs.messages.common import DossierKind, Role
from tests.unit.workflows.dossier.dossiers import (
    candidate_application_submitted,
    project_application_submitted,
)
from workflows.bridge import DossierDefaults, dossier_input
from workflows.settings import WorkflowsSettings


def project_in_phase(phase: BetaGouvPhase, product_url: str | None) -> ProjectApplicationSubmitted:
    event = project_application_submitted()
    payload = event.payload.model_copy(
        update={"beta_gouv_phase": phase, "beta_gouv_product_url": product_url}
    )
    return event.model_copy(update={"payload": payload})


class TestDossierInputFromApplication:
    def test_a_candidate_dossier_is_titled_by_role_and_addressed_to_the_candidate(self) -> None:
        event = candidate_application_submitted()

        dossier = dossier_input(event)

        assert dossier.dossier_id == event.dossier_id
        assert dossier.kind == DossierKind.CANDIDATE
        assert dossier.title == event.payload.role.value
        assert dossier.contact.email == event.payload.email
        assert dossier.contact.name == f"{event.payload.first_name} {event.payload.last_name}"
        assert dossier.contact.language == event.payload.preferred_language
        assert dossier.submitted_at == event.occurred_at

    def test_a_project_dossier_is_titled_by_project_and_addressed_to_its_contact(self) -> None:
        event = project_application_submitted()

        dossier = dossier_input(event)

        assert dossier.dossier_id == event.dossier_id
        assert dossier.kind == DossierKind.PROJECT
        assert dossier.title == event.payload.project_title
        assert dossier.contact.email == event.payload.contact_email
        assert dossier.contact.name == event.payload.contact_name
        assert dossier.submitted_at == event.occurred_at


class TestDossierFactsFromApplication:
    def test_a_candidate_dossier_knows_its_role_and_no_project_facts(self) -> None:
        dossier = dossier_input(candidate_application_submitted())

        assert dossier.role == Role.TECHNICAL_DIRECTOR
        assert (dossier.profiles_wanted, dossier.requires_investigation) == ([], False)

    def test_a_project_dossier_knows_the_roles_it_wants(self) -> None:
        event = project_application_submitted()

        dossier = dossier_input(event)

        assert dossier.profiles_wanted == event.payload.profiles_wanted
        assert dossier.role is None

    @pytest.mark.parametrize(
        ("phase", "product_url", "required"),
        [
            (BetaGouvPhase.CONSTRUCTION, "https://beta.gouv.fr/startups/signalement.html", False),
            (BetaGouvPhase.ACCELERATION, "https://beta.gouv.fr/startups/signalement.html", False),
            (BetaGouvPhase.CONSTRUCTION, None, True),
            (BetaGouvPhase.NONE, "https://beta.gouv.fr/startups/signalement.html", True),
            (BetaGouvPhase.NONE, None, True),
        ],
    )
    def test_a_project_outside_beta_gouv_or_without_product_page_needs_an_investigation(
        self, phase: BetaGouvPhase, product_url: str | None, required: bool
    ) -> None:
        dossier = dossier_input(project_in_phase(phase, product_url))

        assert dossier.requires_investigation is required

    def test_promotion_and_deadline_come_from_the_settings(self, monkeypatch) -> None:
        monkeypatch.setenv("CURRENT_PROMOTION_NUMBER", "8")
        monkeypatch.setenv("STAGE_DEADLINE_DAYS", "10")
        defaults = DossierDefaults.from_settings(WorkflowsSettings(_env_file=None))

        dossier = dossier_input(candidate_application_submitted(), defaults)

        assert (dossier.promotion_number, dossier.stage_deadline_days) == (8, 10)

    def test_without_settings_a_dossier_joins_promotion_7_with_14_days_per_stage(self) -> None:
        dossier = dossier_input(project_application_submitted())

        assert (dossier.promotion_number, dossier.stage_deadline_days) == (7, 14)


class TestWorkflowsSettings:
    def test_defaults_name_the_bridge_group_and_the_health_port(self, monkeypatch) -> None:
        for name in (
            "WORKFLOWS_HOST",
            "WORKFLOWS_PORT",
            "WORKFLOWS_BRIDGE_CONSUMER_GROUP",
            "STAGE_DEADLINE_DAYS",
        ):
            monkeypatch.delenv(name, raising=False)

        settings = WorkflowsSettings(_env_file=None)

        assert settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP == "workflows-bridge"
        assert (settings.WORKFLOWS_HOST, settings.WORKFLOWS_PORT) == ("127.0.0.1", 8004)
        assert settings.STAGE_DEADLINE_DAYS == 14

    def test_the_environment_overrides_them(self, monkeypatch) -> None:
        monkeypatch.setenv("WORKFLOWS_PORT", "9104")
        monkeypatch.setenv("WORKFLOWS_BRIDGE_CONSUMER_GROUP", "bridge-blue")

        settings = WorkflowsSettings(_env_file=None)

        assert settings.WORKFLOWS_PORT == 9104
        assert settings.WORKFLOWS_BRIDGE_CONSUMER_GROUP == "bridge-blue"
