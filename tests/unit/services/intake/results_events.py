"""Events the public results count, as the dossier and contract workflows publish them, and a
promotion's story told with them (unit, integration and browser tests share it)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from libs.messages.common import Contact, DossierKind, Role
from libs.messages.contract_events import (
    ContractRenewalDecided,
    ContractStatus,
    ContractStatusChanged,
    ContractTerms,
)
from libs.messages.dossier_events import Detail, DossierStatus, DossierStatusChanged

CONTACT = Contact(name="Camille Martin", email="camille.martin@example.fr")
MARCH = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


def dossier_event(
    status: DossierStatus,
    at: datetime,
    *,
    kind: DossierKind = DossierKind.CANDIDATE,
    dossier_id: UUID | None = None,
    promotion: int | None = 7,
    title: str = "technical_director",
    administration: str = "",
    details: dict[str, str] | None = None,
) -> DossierStatusChanged:
    return DossierStatusChanged(
        dossier_id=dossier_id or uuid4(),
        occurred_at=at,
        kind=kind,
        status=status,
        title=title,
        contact=CONTACT,
        details=details or {},
        promotion_number=promotion,
        administration_name=administration,
    )


def terms(
    promotion: int = 7,
    role: Role | None = Role.TECHNICAL_DIRECTOR,
    band: str = "up_to_10_years",
    version: int = 1,
) -> ContractTerms:
    return ContractTerms(
        contract_number=f"EIG-{promotion}-0001",
        version=version,
        promotion_number=promotion,
        pay_policy_version=f"{promotion}.1",
        eig_name="Camille Martin",
        role=role,
        years_of_experience=8,
        band=band,
        monthly_net_eur=Decimal("4250.00"),
        annual_fixed_net_eur=Decimal("51000.00"),
        variable_percent=Decimal("6"),
        max_annual_variable_eur=Decimal("3060.00"),
        term_months=12,
        start_on=date(2026, 5, 4),
        end_on=date(2027, 5, 3),
        project_title="Signaux faibles",
        host_administration="DINUM",
    )


def contract_event(
    status: ContractStatus,
    contract_terms: ContractTerms,
    *,
    contract_id: UUID | None = None,
    at: datetime = APRIL,
) -> ContractStatusChanged:
    return ContractStatusChanged(
        dossier_id=uuid4(),
        occurred_at=at,
        contract_id=contract_id or uuid4(),
        status=status,
        terms=contract_terms,
        contact=CONTACT,
    )


def renewal(
    contract_id: UUID, contract_terms: ContractTerms, *, renew: bool = True
) -> ContractRenewalDecided:
    return ContractRenewalDecided(
        dossier_id=uuid4(),
        occurred_at=APRIL,
        contract_id=contract_id,
        renew=renew,
        terms=contract_terms,
        contact=CONTACT,
    )


@dataclass
class PromotionStory:
    """Promotion 7: three projects and two candidates received over two months, one
    partnership signed, two candidates selected (one gave the seat back), one EIG signed and
    renewed."""

    dossier_events: list[DossierStatusChanged] = field(default_factory=list)
    contract_events: list[ContractStatusChanged | ContractRenewalDecided] = field(
        default_factory=list
    )


def promotion_story(promotion: int = 7) -> PromotionStory:
    story = PromotionStory()
    add = story.dossier_events.append
    project = uuid4()
    add(
        dossier_event(
            DossierStatus.RECEIVED,
            MARCH,
            kind=DossierKind.PROJECT,
            dossier_id=project,
            promotion=promotion,
            title="Signaux faibles",
            administration="DINUM",
        )
    )
    for at in (MARCH, APRIL):
        add(
            dossier_event(
                DossierStatus.RECEIVED,
                at,
                kind=DossierKind.PROJECT,
                promotion=promotion,
                title="Un autre défi",
                administration="DGFiP",
            )
        )
    add(
        dossier_event(
            DossierStatus.PARTNERSHIP_SIGNED,
            APRIL,
            kind=DossierKind.PROJECT,
            dossier_id=project,
            promotion=promotion,
            title="Signaux faibles",
            administration="DINUM",
            details={Detail.SIGNED_ON: "2026-03-31"},  # the day staff recorded, days before
        )
    )
    kept, released = uuid4(), uuid4()
    for candidate, seats in ((kept, "1/30"), (released, "2/30")):
        add(dossier_event(DossierStatus.RECEIVED, MARCH, dossier_id=candidate, promotion=promotion))
        add(
            dossier_event(
                DossierStatus.SELECTED,
                APRIL,
                dossier_id=candidate,
                promotion=promotion,
                details={Detail.SEATS: seats},
            )
        )
    # The second one declined the offer: back to the pool, the seat given back.
    add(
        dossier_event(
            DossierStatus.IN_POOL,
            datetime(2026, 4, 20, tzinfo=UTC),
            dossier_id=released,
            promotion=promotion,
        )
    )
    contract_id = uuid4()
    first_term = terms(promotion)
    story.contract_events += [
        contract_event(ContractStatus.OFFER_SENT, first_term, contract_id=contract_id),
        contract_event(ContractStatus.SIGNED, first_term, contract_id=contract_id),
        renewal(contract_id, first_term),
    ]
    return story
