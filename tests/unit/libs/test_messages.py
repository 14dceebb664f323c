"""The event schemas are the contract between services: round trips, versioning, validation."""

import json
from pathlib import Path
from typing import Any, get_args
from uuid import uuid4

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from libs.messages import topics
from libs.messages.applications import (
    ApplicationSubmitted,
    CandidateApplication,
    CandidateApplicationSubmitted,
    ProjectApplication,
    ProjectApplicationSubmitted,
)
from libs.messages.asyncapi import render_json
from libs.messages.common import DossierKind, Language, Role
from libs.messages.contract_events import ContractEvent, ContractStatus
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierEvent,
    DossierStatus,
    DossierStatusChanged,
)
from libs.messages.envelope import Event
from services.intake.schemas import CandidateApplicationCreate
from tests.unit.services.contracts.events import T0, ContractStory

REPO = Path(__file__).resolve().parents[3]


def candidate(**overrides: object) -> CandidateApplication:
    fields: dict[str, object] = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille.martin@example.fr",
        "role": "technical_director",
        "years_of_experience": 12,
        "entrepreneurial_experience": "Cofondatrice d'une coopérative de logiciels libres.",
    }
    fields.update(overrides)
    return CandidateApplication.model_validate(fields)


def project() -> ProjectApplication:
    return ProjectApplication.model_validate(
        {
            "administration_name": "Direction interministérielle du numérique",
            "administration_kind": "central",
            "project_title": "Simplifier les démarches des associations",
            "problem_statement": "Les associations remplissent dix formulaires différents.",
            "public_policy": "Simplification administrative",
            "sponsor_name": "Claire Dupont",
            "sponsor_role": "Directrice",
            "beta_gouv_phase": "none",
            "profiles_wanted": ["product_director"],
            "twelve_month_goals": "Un guichet unique utilisé par 1 000 associations.",
            "contact_name": "Paul Durand",
            "contact_email": "paul.durand@example.gouv.fr",
        }
    )


class TestApplicationEvents:
    def test_a_candidate_event_round_trips_through_json_by_its_type(self) -> None:
        event = CandidateApplicationSubmitted(dossier_id=uuid4(), payload=candidate())
        decoded: object = TypeAdapter(ApplicationSubmitted).validate_json(event.model_dump_json())
        assert decoded == event
        assert isinstance(decoded, CandidateApplicationSubmitted)
        assert decoded.kind == DossierKind.CANDIDATE

    def test_a_project_event_round_trips_and_keys_by_dossier_id(self) -> None:
        dossier_id = uuid4()
        event = ProjectApplicationSubmitted(dossier_id=dossier_id, payload=project())
        decoded: object = TypeAdapter(ApplicationSubmitted).validate_json(event.model_dump_json())
        assert isinstance(decoded, ProjectApplicationSubmitted)
        assert event.key == str(dossier_id).encode()

    def test_an_unknown_event_type_is_refused(self) -> None:
        body = json.loads(
            CandidateApplicationSubmitted(dossier_id=uuid4(), payload=candidate()).model_dump_json()
        )
        body["type"] = "SomethingElse"
        with pytest.raises(ValidationError):
            TypeAdapter(ApplicationSubmitted).validate_python(body)

    def test_events_carry_schema_version_one(self) -> None:
        event = CandidateApplicationSubmitted(dossier_id=uuid4(), payload=candidate())
        assert json.loads(event.model_dump_json())["schema_version"] == 1

    def test_the_contact_follows_the_applicants_language(self) -> None:
        contact = candidate(preferred_language="en").contact
        assert contact.language == Language.EN
        assert contact.name == "Camille Martin"
        assert project().contact.email == "paul.durand@example.gouv.fr"


class TestApplicationValidation:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("years_of_experience", -1),
            ("email", "not-an-address"),
            ("role", "designer"),
            ("first_name", ""),
            ("first_name", "x" * 201),
            ("links", ["not a url"]),
        ],
    )
    def test_a_bad_value_is_refused_naming_its_field(self, field: str, value: object) -> None:
        with pytest.raises(ValidationError) as error:
            candidate(**{field: value})
        assert error.value.errors()[0]["loc"][0] == field

    def test_a_project_must_want_at_least_one_profile(self) -> None:
        data = project().model_dump()
        data["profiles_wanted"] = []
        with pytest.raises(ValidationError) as error:
            ProjectApplication.model_validate(data)
        assert error.value.errors()[0]["loc"][0] == "profiles_wanted"


def with_unknown_fields(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a field no model knows at its top level and in each nested model, as a
    newer producer would send during a rolling upgrade (``details`` is a map, not a model)."""
    return {
        **{
            name: with_unknown_fields(value)
            if isinstance(value, dict) and name != "details"
            else value
            for name, value in body.items()
        },
        "added_in_a_later_version": {"any": "thing"},
    }


def every_event_type() -> list[Event]:
    story = ContractStory()
    return [
        CandidateApplicationSubmitted(dossier_id=uuid4(), payload=candidate()),
        ProjectApplicationSubmitted(dossier_id=uuid4(), payload=project()),
        DossierStatusChanged(
            dossier_id=uuid4(),
            kind=DossierKind.CANDIDATE,
            status=DossierStatus.RECEIVED,
            title=Role.PRODUCT_DIRECTOR.value,
            contact=candidate().contact,
        ),
        DossierDeadlinePassed(
            dossier_id=uuid4(),
            kind=DossierKind.PROJECT,
            status=DossierStatus.INVESTIGATION_REQUESTED,
            title="Défi",
            deadline_at=T0,
        ),
        story.changed(ContractStatus.SIGNED, at=T0),
        story.reminder(at=T0, expires_at=T0),
        story.renewal_decided(at=T0, renew=True, next_terms=story.terms),
    ]


def event_types_on_the_wire() -> set[type[BaseModel]]:
    """Every member of the unions consumers parse, read from the unions themselves."""
    return {
        member
        for union in (ApplicationSubmitted, DossierEvent, ContractEvent)
        for member in get_args(get_args(union)[0])
    }


class TestForwardCompatibility:
    def test_every_event_type_is_checked(self) -> None:
        assert {type(event) for event in every_event_type()} == event_types_on_the_wire()

    @pytest.mark.parametrize("event", every_event_type(), ids=lambda event: event.type)
    def test_an_event_with_fields_added_by_a_newer_producer_is_still_read(
        self, event: Event
    ) -> None:
        body = with_unknown_fields(json.loads(event.model_dump_json()))

        decoded = type(event).model_validate_json(json.dumps(body))

        assert decoded == event

    def test_the_intake_form_still_refuses_unknown_fields(self) -> None:
        form = {**candidate().model_dump(mode="json"), "consent": True, "nationality": "fr"}

        with pytest.raises(ValidationError) as refused:
            CandidateApplicationCreate.model_validate(form)

        assert [error["loc"] for error in refused.value.errors()] == [("nationality",)]


class TestDossierEvents:
    def test_a_status_change_round_trips(self) -> None:
        event = DossierStatusChanged(
            dossier_id=uuid4(),
            kind=DossierKind.CANDIDATE,
            status=DossierStatus.RECEIVED,
            title=Role.PRODUCT_DIRECTOR.value,
            contact=candidate().contact,
        )
        assert DossierStatusChanged.model_validate_json(event.model_dump_json()) == event


class TestTopics:
    def test_every_topic_is_versioned_and_has_partitions(self) -> None:
        for topic, partitions in topics.PARTITIONS.items():
            assert topic.startswith("eig.") and topic.endswith(".v1")
            assert partitions >= 1

    def test_the_committed_asyncapi_document_is_current(self) -> None:
        committed = (REPO / "docs" / "asyncapi.json").read_text()
        assert committed.strip() == render_json().strip(), (
            "run: python -m libs.messages.asyncapi > docs/asyncapi.json"
        )
