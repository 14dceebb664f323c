"""How contracts read for people, in French and English: statuses, roles, amounts, dates."""

from datetime import date
from decimal import Decimal

from libs.messages.common import Language, Role
from libs.messages.contract_events import ContractStatus
from libs.wording import amount_in_euros, long_date
from libs.wording import months as months
from libs.wording import percent as shared_percent

STATUS_LABELS: dict[str, tuple[str, str]] = {
    ContractStatus.DRAFTED: ("En préparation", "Being drafted"),
    ContractStatus.OFFER_SENT: ("Offre envoyée", "Offer sent"),
    ContractStatus.ACCEPTED: (
        "Offre acceptée, en attente de contre-signature",
        "Offer accepted, awaiting countersignature",
    ),
    ContractStatus.SIGNED: ("Contrat signé", "Contract signed"),
    ContractStatus.ACTIVE: ("En cours", "Active"),
    ContractStatus.RENEWAL_DUE: ("Renouvellement à décider", "Renewal to be decided"),
    ContractStatus.RENEWED: ("Renouvelé", "Renewed"),
    ContractStatus.ENDED: ("Terminé", "Ended"),
    ContractStatus.DECLINED: ("Offre déclinée", "Offer declined"),
    ContractStatus.OFFER_EXPIRED: ("Offre expirée", "Offer expired"),
}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    Role.PRODUCT_DIRECTOR: ("Directeur ou directrice de produit", "Product director"),
    Role.TECHNICAL_DIRECTOR: ("Directeur ou directrice technique", "Technical director"),
}


def status_label(language: Language, status: str) -> str:
    """The status in ``language``; a status added later shows its code until named."""
    labels = STATUS_LABELS.get(status, (status, status))
    return labels[0] if language == Language.FR else labels[1]


def role_label(language: Language, role: Role | None) -> str:
    if role is None:
        return "—"
    labels = ROLE_LABELS.get(role, (role.value, role.value))
    return labels[0] if language == Language.FR else labels[1]


# Documents use plain spaces in amounts, so their text (the PDF too) searches and copies as
# typed; e-mails use no-break spaces so an amount never wraps.
def euros(language: Language, amount: Decimal) -> str:
    """``4 250,00 €`` in French, ``€4,250.00`` in English (to the cent, half up)."""
    return amount_in_euros(language, amount, space=" ")


def percent(language: Language, value: Decimal) -> str:
    """``6 %`` in French, ``6%`` in English; no trailing zeros (``6.5`` stays ``6,5``)."""
    return shared_percent(language, value, space=" ")


def day(language: Language, value: date) -> str:
    return long_date(language, value)
