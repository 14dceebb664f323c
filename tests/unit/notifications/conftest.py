from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from uuid import uuid4

import pytest
from sqlmodel import SQLModel

from libs.database import create_engine, session_factory
from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from services.notifications.addressing import Addressing, staff_dossier_url
from services.notifications.models import SentNotification
from services.notifications.repository import SentNotifications

STATUS_URL = "https://eig.example.org/api/v1/dossiers/abc?token=personal-token"
STAFF_EMAIL = "staff-desk@example.org"
SELECTION_URL = "https://selection.eig.example.org"

ADDRESSING = Addressing(
    status_url_for=lambda _dossier_id: STATUS_URL,
    staff_email=STAFF_EMAIL,
    staff_dossier_url_for=partial(staff_dossier_url, SELECTION_URL),
)

DossierReceived = Callable[..., DossierStatusChanged]
StatusChanged = Callable[..., DossierStatusChanged]
DeadlinePassed = Callable[..., DossierDeadlinePassed]


def default_title(kind: DossierKind) -> str:
    return (
        Role.PRODUCT_DIRECTOR.value if kind == DossierKind.CANDIDATE else "Dites-le-nous une fois"
    )


@pytest.fixture
def status_changed() -> StatusChanged:
    """Builds a status change; keyword arguments override any field the tests vary."""

    def build(
        kind: DossierKind = DossierKind.CANDIDATE,
        status: DossierStatus = DossierStatus.RECEIVED,
        *,
        outcome: str = "",
        previous_status: DossierStatus | None = None,
        language: Language = Language.FR,
        title: str | None = None,
        name: str = "Camille Martin",
        note: str = "",
        details: dict[str, str] | None = None,
    ) -> DossierStatusChanged:
        return DossierStatusChanged(
            dossier_id=uuid4(),
            kind=kind,
            status=status,
            outcome=outcome,
            previous_status=previous_status,
            title=title if title is not None else default_title(kind),
            contact=Contact(
                name=name, email=f"applicant-{uuid4().hex[:8]}@example.org", language=language
            ),
            note=note,
            details=details or {},
        )

    return build


@pytest.fixture
def dossier_received(status_changed: StatusChanged) -> DossierReceived:
    """Builds a ``received`` event; keyword arguments override kind, language, title, name."""

    def build(
        kind: DossierKind = DossierKind.CANDIDATE,
        language: Language = Language.FR,
        title: str | None = None,
        name: str = "Camille Martin",
    ) -> DossierStatusChanged:
        return status_changed(kind, language=language, title=title, name=name)

    return build


@pytest.fixture
def deadline_passed() -> DeadlinePassed:
    """Builds a staff-reminder event (a project stuck in evaluation unless told otherwise)."""

    def build(
        kind: DossierKind = DossierKind.PROJECT,
        status: DossierStatus = DossierStatus.IN_EVALUATION,
        *,
        title: str | None = None,
        deadline_at: datetime = datetime(2025, 3, 12, 13, 0, tzinfo=UTC),
    ) -> DossierDeadlinePassed:
        return DossierDeadlinePassed(
            dossier_id=uuid4(),
            kind=kind,
            status=status,
            title=title if title is not None else default_title(kind),
            deadline_at=deadline_at,
        )

    return build


@pytest.fixture
async def sent_notifications(sqlite_url: str) -> AsyncIterator[SentNotifications]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            SQLModel.metadata.create_all,
            tables=[SQLModel.metadata.tables[SentNotification.__tablename__]],
        )
    yield SentNotifications(session_factory(engine))
    await engine.dispose()
