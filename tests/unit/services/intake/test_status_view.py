"""Dossier events build each dossier's timeline; a replayed or late event changes nothing."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.intake.bootstrap import Intake
from services.intake.read_model import record_dossier_event
from services.intake.service_layer import (
    confirm_application,
    dossier_status,
    submit_application,
)
from tests.unit.services.intake.forms import candidate_form, status_changed

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def new_dossier(intake: Intake):
    dossier_id = (await submit_application(intake.sessions, candidate_form())).dossier_id
    await confirm_application(intake.sessions, dossier_id)
    return dossier_id


class TestRecordingEvents:
    async def test_an_event_joins_the_timeline_after_the_submission(self, intake: Intake) -> None:
        dossier_id = await new_dossier(intake)
        event = status_changed(dossier_id, datetime.now(UTC) + timedelta(hours=1), "Vu")

        assert await record_dossier_event(intake.sessions, event) is True

        status = await dossier_status(intake.sessions, dossier_id)
        assert status is not None
        assert [(entry.at, entry.note) for entry in status.timeline] == [
            (status.submitted_at, ""),
            (event.occurred_at, "Vu"),
        ]
        assert status.updated_at == event.occurred_at

    async def test_the_same_event_twice_is_recorded_once(self, intake: Intake) -> None:
        dossier_id = await new_dossier(intake)
        event = status_changed(dossier_id, datetime.now(UTC) + timedelta(hours=1), "Vu")

        assert await record_dossier_event(intake.sessions, event) is True
        assert await record_dossier_event(intake.sessions, event) is False

        status = await dossier_status(intake.sessions, dossier_id)
        assert status is not None
        assert len(status.timeline) == 2

    async def test_an_older_event_arriving_late_does_not_move_the_status_back(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake)
        later = status_changed(dossier_id, START + timedelta(days=2), "second")
        earlier = status_changed(dossier_id, START + timedelta(days=1), "first")

        await record_dossier_event(intake.sessions, later)
        await record_dossier_event(intake.sessions, earlier)

        status = await dossier_status(intake.sessions, dossier_id)
        assert status is not None
        assert status.updated_at == later.occurred_at
        assert [entry.note for entry in status.timeline[1:]] == ["first", "second"]

    async def test_the_workflow_confirming_receipt_does_not_repeat_the_step(
        self, intake: Intake
    ) -> None:
        dossier_id = await new_dossier(intake)
        confirmation = status_changed(dossier_id, datetime.now(UTC) + timedelta(seconds=1))
        await record_dossier_event(intake.sessions, confirmation)

        status = await dossier_status(intake.sessions, dossier_id)
        assert status is not None
        assert [entry.status for entry in status.timeline] == ["received"]
        assert status.updated_at == confirmation.occurred_at

    async def test_a_naive_timestamp_is_read_as_utc(self, intake: Intake) -> None:
        dossier_id = await new_dossier(intake)
        naive = status_changed(dossier_id, datetime(2030, 1, 1, 12, 0))
        await record_dossier_event(intake.sessions, naive)
        status = await dossier_status(intake.sessions, dossier_id)
        assert status is not None
        assert status.updated_at == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    async def test_events_of_a_dossier_unknown_here_are_kept_but_not_shown(
        self, intake: Intake
    ) -> None:
        stranger = uuid4()
        assert await record_dossier_event(intake.sessions, status_changed(stranger, START))
        assert await dossier_status(intake.sessions, stranger) is None
