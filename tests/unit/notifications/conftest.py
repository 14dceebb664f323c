from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest
from sqlmodel import SQLModel

from libs.database import create_engine, session_factory
from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.dossier_events import DossierStatus, DossierStatusChanged
from services.notifications.models import SentNotification
from services.notifications.repository import SentNotifications

STATUS_URL = "https://eig.example.org/api/v1/dossiers/abc?token=personal-token"

DossierReceived = Callable[..., DossierStatusChanged]


@pytest.fixture
def dossier_received() -> DossierReceived:
    """Builds a ``received`` event; keyword arguments override kind, language, title, name."""

    def build(
        kind: DossierKind = DossierKind.CANDIDATE,
        language: Language = Language.FR,
        title: str | None = None,
        name: str = "Camille Martin",
    ) -> DossierStatusChanged:
        default_title = (
            Role.PRODUCT_DIRECTOR.value
            if kind == DossierKind.CANDIDATE
            else "Dites-le-nous une fois"
        )
        return DossierStatusChanged(
            dossier_id=uuid4(),
            kind=kind,
            status=DossierStatus.RECEIVED,
            title=title if title is not None else default_title,
            contact=Contact(
                name=name, email=f"applicant-{uuid4().hex[:8]}@example.org", language=language
            ),
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
