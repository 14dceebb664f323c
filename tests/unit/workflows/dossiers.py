"""Applications and dossier inputs, a stand-in publish activity, and waits on a history."""

import uuid
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from libs.messages.applications import (
    AdministrationKind,
    BetaGouvPhase,
    CandidateApplication,
    CandidateApplicationSubmitted,
    ProjectApplication,
    ProjectApplicationSubmitted,
)
from libs.messages.common import Contact, DossierKind, Language, Role
from tests.eventually import eventually
from workflows.dossier.models import PUBLISH_STATUS_CHANGE, DossierInput, PublishStatusChangeInput

TITLES = {DossierKind.CANDIDATE: "technical_director", DossierKind.PROJECT: "Signalement simplifié"}


def candidate_application_submitted(
    dossier_id: uuid.UUID | None = None,
) -> CandidateApplicationSubmitted:
    return CandidateApplicationSubmitted(
        dossier_id=dossier_id or uuid.uuid4(),
        payload=CandidateApplication(
            first_name="Camille",
            last_name="Martin",
            email="camille@example.org",
            role=Role.TECHNICAL_DIRECTOR,
            years_of_experience=9,
            entrepreneurial_experience="Co-founded a civic tech start-up.",
            preferred_language=Language.EN,
        ),
    )


def project_application_submitted(
    dossier_id: uuid.UUID | None = None,
) -> ProjectApplicationSubmitted:
    return ProjectApplicationSubmitted(
        dossier_id=dossier_id or uuid.uuid4(),
        payload=ProjectApplication(
            administration_name="Direction interministérielle du numérique",
            administration_kind=AdministrationKind.CENTRAL,
            project_title="Signalement simplifié",
            problem_statement="Citizens struggle to report issues.",
            public_policy="Simplification administrative",
            sponsor_name="Alex Dupont",
            sponsor_role="Directeur",
            beta_gouv_phase=BetaGouvPhase.INVESTIGATION,
            profiles_wanted=[Role.PRODUCT_DIRECTOR],
            twelve_month_goals="Halve the time to handle a report.",
            contact_name="Sam Bernard",
            contact_email="sam@example.org",
        ),
    )


def sample_dossier(kind: DossierKind, dossier_id: uuid.UUID | None = None) -> DossierInput:
    return DossierInput(
        dossier_id=dossier_id or uuid.uuid4(),
        kind=kind,
        title=TITLES[kind],
        contact=Contact(name="Camille Martin", email="camille@example.org", language=Language.FR),
        submitted_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )


class StandInPublisher:
    """Registered under the real activity's name; records every attempt's input.

    ``failing_attempts`` first attempts raise, to exercise the workflow's retry policy.
    """

    def __init__(self, failing_attempts: int = 0) -> None:
        self.calls: list[PublishStatusChangeInput] = []
        self._failing_attempts = failing_attempts

    @activity.defn(name=PUBLISH_STATUS_CHANGE)
    async def publish_status_change(self, input: PublishStatusChangeInput) -> None:
        self.calls.append(input)
        if len(self.calls) <= self._failing_attempts:
            raise ConnectionError("broker unavailable (stand-in)")


async def wait_until_idle_after_publishing(
    handle: WorkflowHandle[Any, Any],
) -> list[EventType.ValueType]:
    """Wait until the publish activity completed and the workflow handled it (now waiting).

    From then on the history cannot grow unless someone signals or updates the workflow, so
    what it holds is everything the workflow did on its own. Returns the history's event types.
    """

    async def idle_event_types() -> list[EventType.ValueType]:
        history = await handle.fetch_history()
        types = [event.event_type for event in history.events]
        published = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types
        idle = types[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        return types if published and idle else []

    return await eventually(idle_event_types)
