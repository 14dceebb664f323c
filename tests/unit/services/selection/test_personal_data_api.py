"""An applicant's personal data on request: the export and the erasure (admins only), across
every service's tables on the shared database; an erased dossier leaks nothing afterwards."""

import json
import uuid
from datetime import date, timedelta

import httpx
import pytest

from libs.database import transaction
from libs.messages.dossier_events import DossierStatus
from libs.outbox.models import OutboxMessage, OutboxOrigin
from libs.personal_data import ERASED
from services.contracts.models import ContractRecord
from services.intake.models import Application, DossierStatusView
from services.intake.read_model import record_dossier_event
from services.intake.repository import StatusViewRepository
from services.selection.bootstrap import Selection
from services.selection.read_model import record_status_change
from tests.unit.services.selection.conftest import (
    T0,
    FakeDossierWorkflows,
    bearer,
    seed_candidate,
    status_changed,
)
from workflows.dossier.models import DossierSnapshot

NAMES = ("Camille", "Martin", "camille@example.org")


def url(dossier_id: uuid.UUID, tail: str = "") -> str:
    return f"/api/v1/dossiers/{dossier_id}/personal-data{tail}"


async def seed_withdrawn(selection: Selection, workflows: FakeDossierWorkflows) -> uuid.UUID:
    """A withdrawn candidate held by intake, selection, contracts and the outbox."""
    dossier_id = await seed_candidate(selection, DossierStatus.WITHDRAWN)
    await record_status_change(
        selection.sessions,
        status_changed(dossier_id, DossierStatus.IN_REVIEW, at=T0, note="Camille relancée"),
    )
    async with transaction(selection.sessions) as session:
        session.add(
            Application(
                dossier_id=dossier_id,
                kind="candidate",
                payload={"first_name": "Camille", "email": "camille@example.org", "role": "pm"},
                title="technical_director",
                created_at=T0,
            )
        )
        session.add(
            ContractRecord(
                contract_id=uuid.uuid4(),
                dossier_id=dossier_id,
                contract_number="EIG-7-0001",
                version=1,
                status="declined",
                promotion_number=7,
                band="up_to_10_years",
                eig_name="Camille Martin",
                contact_email="camille@example.org",
                start_on=date(2027, 1, 1),
                end_on=date(2027, 12, 31),
                terms={"eig_name": "Camille Martin"},
                updated_at=T0,
            )
        )
        session.add(
            OutboxMessage(
                event_id=uuid.uuid4(),
                origin=OutboxOrigin.INTAKE,
                topic="eig.applications.v1",
                key=str(dossier_id),
                payload='{"email": "camille@example.org"}',
                headers={},
                created_at=T0,
                sent_at=T0,
            )
        )
    await record_dossier_event(
        selection.sessions, status_changed(dossier_id, DossierStatus.WITHDRAWN, at=T0)
    )
    workflows.snapshots[dossier_id] = DossierSnapshot(
        dossier_id=dossier_id, kind="candidate", status=DossierStatus.WITHDRAWN
    )
    return dossier_id


class TestAccess:
    @pytest.mark.parametrize("role", ["staff", "evaluator", "jury"])
    async def test_only_admins(
        self, client: httpx.AsyncClient, tokens: dict[str, str], role: str
    ) -> None:
        dossier_id = uuid.uuid4()
        assert (await client.get(url(dossier_id), headers=bearer(tokens, role))).status_code == 403
        erase = await client.post(
            url(dossier_id, "/erase"), json={"reason": "demande"}, headers=bearer(tokens, role)
        )
        assert erase.status_code == 403

    async def test_an_unknown_dossier_is_a_404_naming_it(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        answer = await client.get(url(uuid.uuid4()), headers=bearer(tokens, "admin"))
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["field"] == "dossier_id"


class TestExportAndErasure:
    async def test_the_export_holds_everything_then_the_erasure_leaves_no_name(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = await seed_withdrawn(selection, workflows)
        admin = bearer(tokens, "admin")

        export = (await client.get(url(dossier_id), headers=admin)).json()
        assert export["personal_data_erased_at"] is None
        assert all(name in json.dumps(export) for name in NAMES)
        assert export["tables"]["contracts.contracts"][0]["eig_name"] == "Camille Martin"

        erased = await client.post(
            url(dossier_id, "/erase"), json={"reason": "Demande du 2 déc."}, headers=admin
        )

        assert erased.status_code == 200, erased.text
        body = erased.json()
        assert body["reason"] == "Demande du 2 déc."
        assert "admin" in body["erased_by"]
        assert body["erased"]["outbox_messages.deleted"] == 1
        after = (await client.get(url(dossier_id), headers=admin)).json()
        assert after["personal_data_erased_at"] is not None
        assert not any(name in json.dumps(after) for name in NAMES)
        staff_dossier = after["tables"]["selection.staff_dossiers"][0]
        assert staff_dossier["application"]["first_name"] == ERASED
        assert staff_dossier["status"] == "withdrawn"  # the facts stay
        assert after["tables"]["selection.personal_data_erasures"][0]["reason"] == body["reason"]

        again = await client.post(
            url(dossier_id, "/erase"), json={"reason": "encore"}, headers=admin
        )
        assert again.status_code == 200
        assert (again.json()["erased_at"], again.json()["erased"]) == (body["erased_at"], {})
        assert again.json()["reason"] == body["reason"]

    async def test_an_event_read_after_the_erasure_brings_no_note_back(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = await seed_withdrawn(selection, workflows)
        answer = await client.post(
            url(dossier_id, "/erase"), json={"reason": "demande"}, headers=bearer(tokens, "admin")
        )
        assert answer.status_code == 200
        late = status_changed(
            dossier_id, DossierStatus.WITHDRAWN, at=T0 + timedelta(days=1), note="Pour Camille"
        )

        await record_status_change(selection.sessions, late)
        await record_dossier_event(selection.sessions, late)

        export = (await client.get(url(dossier_id), headers=bearer(tokens, "admin"))).json()
        assert "Camille" not in json.dumps(export)
        async with transaction(selection.sessions) as session:
            notes = [
                entry.note for entry in await StatusViewRepository(session).timeline(dossier_id)
            ]
        assert ERASED in notes

    async def test_a_running_dossier_is_refused_with_a_409_and_left_as_it_was(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
    ) -> None:
        dossier_id = await seed_withdrawn(selection, workflows)
        workflows.snapshots[dossier_id] = DossierSnapshot(
            dossier_id=dossier_id, kind="candidate", status=DossierStatus.IN_REVIEW
        )

        answer = await client.post(
            url(dossier_id, "/erase"), json={"reason": "demande"}, headers=bearer(tokens, "admin")
        )

        assert answer.status_code == 409
        assert "in_review" in answer.json()["detail"]
        assert answer.json()["errors"][0]["field"] == "dossier_id"
        export = (await client.get(url(dossier_id), headers=bearer(tokens, "admin"))).json()
        assert export["personal_data_erased_at"] is None
        async with transaction(selection.sessions) as session:
            assert await session.get(DossierStatusView, dossier_id) is not None

    @pytest.mark.parametrize("body", [{}, {"reason": "   "}])
    async def test_the_reason_is_required(
        self,
        client: httpx.AsyncClient,
        tokens: dict[str, str],
        selection: Selection,
        workflows: FakeDossierWorkflows,
        body: dict[str, str],
    ) -> None:
        dossier_id = await seed_withdrawn(selection, workflows)
        answer = await client.post(
            url(dossier_id, "/erase"), json=body, headers=bearer(tokens, "admin")
        )
        assert answer.status_code == 422
        assert [error["field"] for error in answer.json()["errors"]] == ["reason"]
