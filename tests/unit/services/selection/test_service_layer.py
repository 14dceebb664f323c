"""Selection's use cases over the read model: who is in a round."""

import uuid
from datetime import timedelta

from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from services.selection.bootstrap import Selection
from services.selection.read_model import record_status_change
from services.selection.service_layer import ReadModelRoundMembers
from tests.unit.services.selection.conftest import T0, seed_project, status_changed


class TestRoundMembers:
    async def test_a_round_lists_the_dossiers_whose_events_name_it(
        self, selection: Selection
    ) -> None:
        members = ReadModelRoundMembers(selection.sessions)
        first = await seed_project(selection, round_id="7-project-2026-04")
        second = await seed_project(selection, round_id="7-project-2026-04")
        elsewhere = await seed_project(selection, round_id="7-project-2026-06")

        listed = await members.members("7-project-2026-04")

        assert listed == sorted([first, second])
        assert await members.is_member(first, "7-project-2026-04")
        assert not await members.is_member(elsewhere, "7-project-2026-04")
        assert not await members.is_member(uuid.uuid4(), "7-project-2026-04")

    async def test_a_final_dossier_is_no_longer_in_its_round(self, selection: Selection) -> None:
        members = ReadModelRoundMembers(selection.sessions)
        staying = await seed_project(selection, round_id="7-project-2026-04")
        leaving = await seed_project(selection, round_id="7-project-2026-04")

        await record_status_change(
            selection.sessions,
            status_changed(
                leaving,
                DossierStatus.WITHDRAWN,
                at=T0 + timedelta(hours=3),
                kind=DossierKind.PROJECT,
            ),
        )

        assert await members.members("7-project-2026-04") == [staying]
        assert not await members.is_member(leaving, "7-project-2026-04")
