"""Valid application bodies (the OpenAPI examples) to derive test cases from, the dossier
event intake records, and the intake app served over ASGI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from copy import deepcopy
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from libs.dossier_links import LinkKeys, confirm_url, status_url
from libs.messages.applications import CandidateApplication
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.schemas import CANDIDATE_EXAMPLE, PROJECT_EXAMPLE
from tests.html_forms import BROWSER_ACCEPT, FORM_POST, hidden

CANDIDATES = "/api/v1/applications/candidates"
PROJECTS = "/api/v1/applications/projects"


def candidate_body(**changes: Any) -> dict[str, Any]:
    body = deepcopy(CANDIDATE_EXAMPLE)
    body.update(changes)
    return body


def project_body(**changes: Any) -> dict[str, Any]:
    body = deepcopy(PROJECT_EXAMPLE)
    body.update(changes)
    return body


def candidate_form(**changes: Any) -> CandidateApplication:
    body = candidate_body(**changes)
    del body["consent"]
    return CandidateApplication.model_validate(body)


def status_changed(dossier_id: UUID | str, at: datetime, note: str = "") -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=dossier_id,
        occurred_at=at,
        kind=DossierKind.CANDIDATE,
        status=DossierStatus.RECEIVED,
        title="technical_director",
        contact=Contact(name="Camille Martin", email="camille.martin@example.fr"),
        note=note,
    )


@asynccontextmanager
async def served(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    """The intake app with its lifespan running, and a client that calls it over ASGI."""
    app = create_app(intake=intake)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake.test"
        ) as client,
    ):
        yield client


async def confirm_email(
    client: httpx.AsyncClient, keys: LinkKeys, dossier_id: UUID | str
) -> httpx.Response:
    """What the applicant does with the first e-mail's link (made with intake's ``keys``):
    open the page, press its button (the POST's 303, not followed)."""
    path = confirm_url("", keys, UUID(str(dossier_id)))
    page = await client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200, page.text
    token = hidden(page.text, "csrf_token")
    return await client.post(path, data={"csrf_token": token}, headers=FORM_POST)


async def apply_confirmed(
    client: httpx.AsyncClient, intake: Intake, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Apply, confirm the e-mail address; the 202's body with the ``status_url`` the second
    e-mail carries."""
    response = await client.post(path, json=body)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    confirmed = await confirm_email(client, intake.link_keys, accepted["dossier_id"])
    assert confirmed.status_code == 303, confirmed.text
    link = status_url(intake.settings.PUBLIC_INTAKE_URL, intake.link_keys, accepted["dossier_id"])
    return accepted | {"status_url": link}
