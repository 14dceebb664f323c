"""Valid application bodies (the OpenAPI examples) to derive test cases from, the dossier
event intake records, and the intake app served over ASGI."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from copy import deepcopy
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from libs.messages.applications import CandidateApplication
from libs.messages.common import Contact, DossierKind
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from services.intake.app import create_app
from services.intake.bootstrap import Intake
from services.intake.schemas import CANDIDATE_EXAMPLE, PROJECT_EXAMPLE

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
