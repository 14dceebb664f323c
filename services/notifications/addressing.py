"""Domain: who each dossier event's e-mail goes to, and the link it carries.

Status changes go to the dossier's contact with their private status link; deadline reminders
go to the programme team with the dossier's staff page, never to the applicant.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import assert_never
from uuid import UUID

from libs.messages.common import Contact, Language
from libs.messages.dossier_events import DossierDeadlinePassed, DossierEvent, DossierStatusChanged

DossierUrlFor = Callable[[UUID], str]
"""Builds the link to one dossier."""

STAFF_NAME = "Équipe du programme EIG"


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    link: str


@dataclass(frozen=True)
class Addressing:
    status_url_for: DossierUrlFor
    """The applicant's private status link (it carries the dossier's token)."""
    staff_email: str
    staff_dossier_url_for: DossierUrlFor
    """The dossier's page in the staff selection API."""

    def recipient_of(self, event: DossierEvent) -> Recipient:
        match event:
            case DossierStatusChanged():
                return Recipient(event.contact, self.status_url_for(event.dossier_id))
            case DossierDeadlinePassed():
                # The team reads French first, as every staff tool of the programme.
                staff = Contact(name=STAFF_NAME, email=self.staff_email, language=Language.FR)
                return Recipient(staff, self.staff_dossier_url_for(event.dossier_id))
            case _:
                assert_never(event)


def staff_dossier_url(base_url: str, dossier_id: UUID) -> str:
    return f"{base_url.rstrip('/')}/api/v1/dossiers/{dossier_id}"
