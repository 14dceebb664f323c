"""Domain: who each dossier event's e-mail goes to, and the link it carries.

Status changes go to the dossier's contact with their private status link (and the withdraw
link, a token of its own); deadline reminders
go to the programme team with the dossier's staff page, never to the applicant. Contract links
carry the candidate dossier's token too (the contracts service checks it like intake does).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never
from uuid import UUID

from libs.dossier_links import LinkKeys, Purpose
from libs.messages.common import Contact, Language
from libs.messages.contract_events import ContractEvent, ContractStatusChanged
from libs.messages.dossier_events import DossierDeadlinePassed, DossierEvent, DossierStatusChanged

DossierUrlFor = Callable[[UUID], str]
"""Builds the link to one dossier."""

ContractUrlFor = Callable[[UUID, UUID], str]
"""Builds a link to one contract, from (contract id, the candidate's dossier id)."""

STAFF_NAME = "Équipe du programme EIG"


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    link: str
    withdraw_link: str = ""
    """The applicant's withdraw link (status changes only: staff reminders have none)."""


@dataclass(frozen=True)
class Addressing:
    status_url_for: DossierUrlFor
    """The applicant's private status link (it carries the dossier's read token)."""
    withdraw_url_for: DossierUrlFor
    """The applicant's withdraw link (the withdraw token: the read link cannot withdraw)."""
    staff_email: str
    staff_dossier_url_for: DossierUrlFor
    """The dossier's page in the staff selection API."""

    def recipient_of(self, event: DossierEvent) -> Recipient:
        match event:
            case DossierStatusChanged():
                return Recipient(
                    event.contact,
                    self.status_url_for(event.dossier_id),
                    self.withdraw_url_for(event.dossier_id),
                )
            case DossierDeadlinePassed():
                return Recipient(
                    staff_contact(self.staff_email), self.staff_dossier_url_for(event.dossier_id)
                )
            case _:
                assert_never(event)


def staff_dossier_url(base_url: str, dossier_id: UUID) -> str:
    return f"{base_url.rstrip('/')}/api/v1/dossiers/{dossier_id}"


def staff_contact(staff_email: str) -> Contact:
    # The team reads French first, as every staff tool of the programme.
    return Contact(name=STAFF_NAME, email=staff_email, language=Language.FR)


class Audience(StrEnum):
    """Who a contract e-mail is for (the last part of its template name)."""

    CANDIDATE = "candidate"
    HOST = "host"
    STAFF = "staff"


@dataclass(frozen=True)
class ContractAddressing:
    """The links contract e-mails carry, and where staff notices go."""

    offer_url_for: ContractUrlFor
    """The candidate's offer page (read the contract, accept or decline), token included."""
    document_url_for: ContractUrlFor
    """The contract's PDF, behind the same token."""
    status_url_for: DossierUrlFor
    """The candidate's private status page (back in the pool after a declined or lapsed offer)."""
    staff_email: str
    staff_contract_url_for: Callable[[UUID], str]
    """The contract in the staff contracts API (renewal to decide)."""

    def recipient_of(self, event: ContractEvent, audience: Audience) -> Contact:
        match audience:
            case Audience.CANDIDATE:
                return event.contact
            case Audience.HOST:
                # Without the host's contact (an older project dossier), the programme team
                # gets the mission letter to forward: better than the host never getting it.
                return host_contact_of(event) or staff_contact(self.staff_email)
            case Audience.STAFF:
                return staff_contact(self.staff_email)
            case _:
                assert_never(audience)


def host_contact_of(event: ContractEvent) -> Contact | None:
    return event.host_contact if isinstance(event, ContractStatusChanged) else None


def contract_offer_url(base_url: str, keys: LinkKeys, contract_id: UUID, dossier_id: UUID) -> str:
    """The offer page with the token that may answer (accept or decline) the offer."""
    token = keys.token(Purpose.ANSWER_OFFER, dossier_id)
    return f"{base_url.rstrip('/')}/contracts/{contract_id}?token={token}"


def contract_document_url(
    base_url: str, keys: LinkKeys, contract_id: UUID, dossier_id: UUID
) -> str:
    token = keys.token(Purpose.READ, dossier_id)
    return f"{base_url.rstrip('/')}/api/v1/contracts/{contract_id}/document.pdf?token={token}"


def staff_contract_url(base_url: str, contract_id: UUID) -> str:
    return f"{base_url.rstrip('/')}/api/v1/contracts/{contract_id}"
