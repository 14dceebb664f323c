from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from uuid import UUID, uuid4

import pytest
from sqlmodel import SQLModel

from libs import dossier_links
from libs.database import create_engine, session_factory
from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.contract_events import (
    ContractOfferReminderDue,
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from libs.messages.dossier_events import (
    DossierDeadlinePassed,
    DossierStatus,
    DossierStatusChanged,
)
from services.notifications.addressing import (
    Addressing,
    ContractAddressing,
    contract_document_url,
    contract_offer_url,
    staff_contract_url,
    staff_dossier_url,
)
from services.notifications.bootstrap import own_tables
from services.notifications.repository import SentNotifications

STATUS_URL = "https://eig.example.org/api/v1/dossiers/abc?token=personal-token"
WITHDRAW_URL = "https://eig.example.org/api/v1/dossiers/abc?token=withdraw-token"
STAFF_EMAIL = "staff-desk@example.org"
SELECTION_URL = "https://selection.eig.example.org"

ADDRESSING = Addressing(
    status_url_for=lambda _dossier_id: STATUS_URL,
    withdraw_url_for=lambda _dossier_id: WITHDRAW_URL,
    staff_email=STAFF_EMAIL,
    staff_dossier_url_for=partial(staff_dossier_url, SELECTION_URL),
)

CONTRACTS_URL = "https://contrats.eig.example.org"
INTAKE_URL = "https://candidater.eig.example.org"
LINK_KEYS = dossier_links.LinkKeys.single(b"unit-test-link-key-of-32-bytes!!")

CONTRACT_ADDRESSING = ContractAddressing(
    offer_url_for=partial(contract_offer_url, CONTRACTS_URL, LINK_KEYS),
    document_url_for=partial(contract_document_url, CONTRACTS_URL, LINK_KEYS),
    status_url_for=partial(dossier_links.status_url, INTAKE_URL, LINK_KEYS),
    staff_email=STAFF_EMAIL,
    staff_contract_url_for=partial(staff_contract_url, CONTRACTS_URL),
)


def token_of(dossier_id: UUID, purpose: dossier_links.Purpose = dossier_links.Purpose.READ) -> str:
    return LINK_KEYS.token(purpose, dossier_id)


DossierReceived = Callable[..., DossierStatusChanged]
StatusChanged = Callable[..., DossierStatusChanged]
DeadlinePassed = Callable[..., DossierDeadlinePassed]

OFFER_EXPIRES_AT = datetime(2025, 2, 20, 23, 0, tzinfo=UTC)
"""21 February 2025 at midnight in Paris."""


def contract_terms(**overrides: object) -> ContractTerms:
    """The 7th promotion's first band: 4,250 € net a month, 6 % variable, 12 months."""
    values: dict[str, object] = {
        "contract_number": "EIG-7-0001",
        "version": 1,
        "promotion_number": 7,
        "pay_policy_version": "7.1",
        "eig_name": "Camille Martin",
        "role": Role.PRODUCT_DIRECTOR,
        "years_of_experience": 8,
        "band": "up_to_10_years",
        "monthly_net_eur": Decimal("4250.00"),
        "annual_fixed_net_eur": Decimal("51000.00"),
        "variable_percent": Decimal("6"),
        "max_annual_variable_eur": Decimal("3060.00"),
        "term_months": 12,
        "start_on": date(2025, 3, 3),
        "end_on": date(2026, 3, 2),
        "project_title": "Signalement des nids-de-poule",
        "host_administration": "Direction des routes",
        **overrides,
    }
    return ContractTerms.model_validate(values)


RENEWED_TERMS = contract_terms(
    version=2,
    years_of_experience=11,
    band="over_10_years",
    monthly_net_eur=Decimal("5000.00"),
    annual_fixed_net_eur=Decimal("60000.00"),
    variable_percent=Decimal("10"),
    max_annual_variable_eur=Decimal("6000.00"),
    start_on=date(2026, 3, 3),
    end_on=date(2027, 3, 2),
)
"""The renewal of :func:`contract_terms`, past 10 years of experience: the second band."""


def eig_contact(language: Language = Language.FR, name: str = "Camille Martin") -> Contact:
    return Contact(name=name, email=f"eig-{uuid4().hex[:8]}@example.org", language=language)


def host_contact(language: Language = Language.FR) -> Contact:
    return Contact(
        name="Dominique Hôte", email=f"host-{uuid4().hex[:8]}@example.gouv.fr", language=language
    )


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


def contract_changed(
    status: ContractStatus = ContractStatus.SIGNED,
    *,
    language: Language = Language.FR,
    host_language: Language = Language.FR,
    with_host: bool = True,
    terms: ContractTerms | None = None,
    note: str = "",
    name: str = "Camille Martin",
    offer_expires_at: datetime | None = OFFER_EXPIRES_AT,
) -> ContractStatusChanged:
    """A contract status change, the EIG and the host's contact in French unless told."""
    return ContractStatusChanged(
        dossier_id=uuid4(),
        contract_id=uuid4(),
        status=status,
        terms=terms or contract_terms(),
        contact=eig_contact(language, name),
        host_contact=host_contact(host_language) if with_host else None,
        note=note,
        offer_expires_at=offer_expires_at if status == ContractStatus.OFFER_SENT else None,
    )


def offer_reminder_due(language: Language = Language.FR) -> ContractOfferReminderDue:
    return ContractOfferReminderDue(
        dossier_id=uuid4(),
        contract_id=uuid4(),
        terms=contract_terms(),
        contact=eig_contact(language),
        offer_expires_at=OFFER_EXPIRES_AT,
    )


def renewal_decided(
    renew: bool = True,
    *,
    language: Language = Language.FR,
    note: str = "",
    next_terms: ContractTerms | None = RENEWED_TERMS,
) -> ContractRenewalDecided:
    return ContractRenewalDecided(
        dossier_id=uuid4(),
        contract_id=uuid4(),
        renew=renew,
        terms=contract_terms(),
        next_terms=next_terms if renew else None,
        contact=eig_contact(language),
        note=note,
    )


@pytest.fixture
async def sent_notifications(sqlite_url: str) -> AsyncIterator[SentNotifications]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            SQLModel.metadata.create_all,
            tables=own_tables(),
        )
    yield SentNotifications(session_factory(engine))
    await engine.dispose()
