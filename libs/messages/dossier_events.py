"""Dossier status changes, published by the dossier workflows on ``eig.dossier-events.v1``."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from libs.messages.common import Contact, DossierKind
from libs.messages.envelope import Event


class DossierStatus(StrEnum):
    """Statuses a dossier can be in; later stages add theirs here."""

    RECEIVED = "received"


class DossierStatusChanged(Event):
    """A dossier moved to a new status (the workflow is the authority on it)."""

    type: Literal["DossierStatusChanged"] = "DossierStatusChanged"
    kind: DossierKind = Field(description="Candidate or project dossier")
    status: DossierStatus = Field(description="The new status")
    previous_status: DossierStatus | None = Field(default=None, description="Status before")
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact = Field(description="Who is told about it")
    note: str = Field(default="", description="Staff note shown to the applicant, if any")


# Later stages add event types here and turn this alias into a discriminated union on "type".
DossierEvent = DossierStatusChanged
"""What travels on ``eig.dossier-events.v1``."""
