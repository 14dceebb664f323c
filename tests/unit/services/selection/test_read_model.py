"""The staff read model: projections of applications and dossier events, replay-safe."""

import uuid
from datetime import timedelta

from sqlmodel import select

from libs.messages.dossier_events import DossierStatus
from services.selection.bootstrap import Selection
from services.selection.models import StaffDossier, StaffTimelineEntry
from services.selection.read_model import (
    record_application,
    record_deadline_passed,
    record_status_change,
)
from tests.unit.services.selection.conftest import T0, deadline_passed, status_changed
from tests.unit.workflows.dossier.dossiers import candidate_application_submitted


async def dossier(selection: Selection, dossier_id: uuid.UUID) -> StaffDossier:
    async with selection.sessions() as session:
        found = await session.get(StaffDossier, dossier_id)
        assert found is not None
        return found


async def timeline(selection: Selection, dossier_id: uuid.UUID) -> list[StaffTimelineEntry]:
    async with selection.sessions() as session:
        rows = await session.exec(
            select(StaffTimelineEntry).where(StaffTimelineEntry.dossier_id == dossier_id)
        )
        return list(rows.all())


class TestApplications:
    async def test_an_application_creates_a_received_dossier_with_its_form(
        self, selection: Selection
    ) -> None:
        event = candidate_application_submitted()

        assert await record_application(selection.sessions, event) is True

        row = await dossier(selection, event.dossier_id)
        assert (row.kind, row.status, row.title) == ("candidate", "received", "technical_director")
        assert row.application["last_name"] == "Martin"
        assert "martin" in row.search_text

    async def test_a_replayed_application_changes_nothing(self, selection: Selection) -> None:
        event = candidate_application_submitted()
        await record_application(selection.sessions, event)
        await record_status_change(
            selection.sessions,
            status_changed(event.dossier_id, DossierStatus.IN_REVIEW, at=event.occurred_at),
        )

        assert await record_application(selection.sessions, event) is False
        assert (await dossier(selection, event.dossier_id)).status == "in_review"

    async def test_an_application_read_after_its_first_status_completes_the_row(
        self, selection: Selection
    ) -> None:
        event = candidate_application_submitted()
        await record_status_change(
            selection.sessions, status_changed(event.dossier_id, DossierStatus.IN_REVIEW, at=T0)
        )

        await record_application(selection.sessions, event)

        row = await dossier(selection, event.dossier_id)
        assert row.status == "in_review"
        assert row.application["first_name"] == "Camille"


class TestStatusChanges:
    async def test_a_duplicate_status_event_changes_nothing(self, selection: Selection) -> None:
        event = candidate_application_submitted()
        await record_application(selection.sessions, event)
        change = status_changed(event.dossier_id, DossierStatus.IN_REVIEW, at=T0, note="ok")

        assert await record_status_change(selection.sessions, change) is True
        before = await dossier(selection, event.dossier_id)
        assert await record_status_change(selection.sessions, change) is False

        assert len(await timeline(selection, event.dossier_id)) == 1
        assert (await dossier(selection, event.dossier_id)) == before

    async def test_an_older_event_read_late_goes_to_the_timeline_but_not_the_status(
        self, selection: Selection
    ) -> None:
        dossier_id = uuid.uuid4()
        newer = status_changed(
            dossier_id, DossierStatus.INTERVIEW, at=T0 + timedelta(hours=2), details={}
        )
        older = status_changed(
            dossier_id, DossierStatus.IN_REVIEW, at=T0, details={"round_id": "7-candidate-1"}
        )
        await record_status_change(selection.sessions, newer)
        await record_status_change(selection.sessions, older)

        row = await dossier(selection, dossier_id)
        assert row.status == "interview"
        assert len(await timeline(selection, dossier_id)) == 2

    async def test_the_round_is_kept_until_a_change_names_another(
        self, selection: Selection
    ) -> None:
        dossier_id = uuid.uuid4()
        await record_status_change(
            selection.sessions,
            status_changed(dossier_id, DossierStatus.IN_REVIEW, at=T0, details={"round_id": "r1"}),
        )
        await record_status_change(
            selection.sessions,
            status_changed(dossier_id, DossierStatus.INTERVIEW, at=T0 + timedelta(hours=1)),
        )

        assert (await dossier(selection, dossier_id)).round_id == "r1"


class TestOverdue:
    async def test_a_passed_deadline_flags_the_dossier_and_the_next_status_clears_it(
        self, selection: Selection
    ) -> None:
        dossier_id = uuid.uuid4()
        await record_status_change(
            selection.sessions, status_changed(dossier_id, DossierStatus.IN_REVIEW, at=T0)
        )

        await record_deadline_passed(
            selection.sessions,
            deadline_passed(dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(days=14)),
        )
        assert (await dossier(selection, dossier_id)).overdue is True

        await record_status_change(
            selection.sessions,
            status_changed(dossier_id, DossierStatus.INTERVIEW, at=T0 + timedelta(days=15)),
        )
        assert (await dossier(selection, dossier_id)).overdue is False

    async def test_a_replayed_reminder_of_an_earlier_stage_does_not_flag_the_current_one(
        self, selection: Selection
    ) -> None:
        dossier_id = uuid.uuid4()
        reminder = deadline_passed(dossier_id, DossierStatus.IN_REVIEW, at=T0 + timedelta(days=14))
        await record_status_change(
            selection.sessions, status_changed(dossier_id, DossierStatus.IN_REVIEW, at=T0)
        )
        await record_deadline_passed(selection.sessions, reminder)
        await record_status_change(
            selection.sessions,
            status_changed(dossier_id, DossierStatus.INTERVIEW, at=T0 + timedelta(days=15)),
        )

        assert await record_deadline_passed(selection.sessions, reminder) is False
        assert (await dossier(selection, dossier_id)).overdue is False
