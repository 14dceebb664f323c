"""Selection's metrics: read-model events by outcome, staff actions by result, on /metrics."""

import uuid
from datetime import timedelta

import httpx
from prometheus_client import REGISTRY

from libs.messages.dossier_events import DossierStatus
from services.selection.bootstrap import Selection
from services.selection.consumers import (
    apply_application,
    apply_deadline_passed,
    apply_status_change,
)
from tests.unit.services.selection.conftest import (
    T0,
    FakeDossierWorkflows,
    bearer,
    deadline_passed,
    status_changed,
)
from tests.unit.workflows.dossier.dossiers import candidate_application_submitted
from workflows.client_errors import ActionNotAllowed, InvalidActionBody

REVIEW = {"outcome": "shortlisted", "note": "Bon profil"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def read_model_events(event: str, outcome: str) -> float:
    return sample("selection_read_model_events_total", event=event, outcome=outcome)


def actions(result: str) -> float:
    return sample("selection_actions_total", action="record_review", result=result)


async def test_read_model_events_are_counted_applied_then_duplicate(
    selection: Selection,
) -> None:
    application = candidate_application_submitted().model_copy(update={"occurred_at": T0})
    change = status_changed(
        application.dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(minutes=1)
    )
    before = {
        (event, outcome): read_model_events(event, outcome)
        for event in ("application", "status_changed")
        for outcome in ("applied", "duplicate")
    }

    for _ in range(2):  # a redelivery
        await apply_application(selection.sessions, application)
        await apply_status_change(selection.sessions, change)

    for key, count in before.items():
        assert read_model_events(*key) == count + 1, key


async def test_a_reminder_for_a_stage_left_behind_is_counted_as_ignored(
    selection: Selection,
) -> None:
    dossier_id = uuid.uuid4()
    await apply_status_change(
        selection.sessions, status_changed(dossier_id, DossierStatus.INTERVIEW, at=T0)
    )
    stale = deadline_passed(dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(days=1))
    current = deadline_passed(dossier_id, DossierStatus.INTERVIEW, at=T0 + timedelta(days=2))
    ignored_before = read_model_events("deadline_passed", "ignored")
    applied_before = read_model_events("deadline_passed", "applied")

    await apply_deadline_passed(selection.sessions, stale)
    await apply_deadline_passed(selection.sessions, current)

    assert read_model_events("deadline_passed", "ignored") == ignored_before + 1
    assert read_model_events("deadline_passed", "applied") == applied_before + 1


async def test_actions_are_counted_by_result_and_exposed_on_metrics(
    client: httpx.AsyncClient, tokens: dict[str, str], workflows: FakeDossierWorkflows
) -> None:
    path = f"/api/v1/dossiers/{uuid.uuid4()}/actions/record_review"
    before = {result: actions(result) for result in ("ok", "refused", "invalid")}

    await client.post(path, json=REVIEW, headers=bearer(tokens, "staff"))
    workflows.error = ActionNotAllowed("not now", "interview", ["record_interview"])
    await client.post(path, json=REVIEW, headers=bearer(tokens, "staff"))
    workflows.error = InvalidActionBody("bad", [{"field": "note", "message": "too long"}])
    await client.post(path, json=REVIEW, headers=bearer(tokens, "staff"))

    assert {result: actions(result) - count for result, count in before.items()} == {
        "ok": 1,
        "refused": 1,
        "invalid": 1,
    }
    exposed = (await client.get("/metrics")).text
    assert 'selection_actions_total{action="record_review",result="ok"}' in exposed
    assert "selection_read_model_events_total" in exposed
    assert "selection_evaluations_total" in exposed
