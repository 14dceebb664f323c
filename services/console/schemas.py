"""What the console's forms and query strings carry, checked before anything is asked of the
staff APIs (a bad value is the form again with the field's error, never a 500)."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from libs.auth import StaffRole
from libs.messages.applications import AdministrationKind
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus

PAGE_SIZE = 25
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Tab(StrEnum):
    """The list's tabs, as in Démarches Simplifiées."""

    TO_HANDLE = "a-traiter"
    FOLLOWED = "suivis"
    HANDLED = "traites"
    ALL = "tous"


class DossierSort(StrEnum):
    UPDATED_DESC = "updated_desc"
    UPDATED_ASC = "updated_asc"
    SUBMITTED_DESC = "submitted_desc"
    TITLE = "title"


class DossierListFilters(BaseModel):
    """``/console/dossiers``' query string (empty values count as absent)."""

    model_config = ConfigDict(extra="ignore")

    tab: Tab = Tab.TO_HANDLE
    kind: DossierKind | None = None
    status: DossierStatus | None = None
    round_id: Annotated[str | None, StringConstraints(max_length=100)] = None
    overdue: bool | None = None
    q: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)] = None
    role: Role | None = None
    administration_kind: AdministrationKind | None = None
    sort: DossierSort = DossierSort.UPDATED_DESC
    curseur: Annotated[str | None, StringConstraints(max_length=1000)] = None
    """The page: a cursor of the staff API (its next or previous page), none for the first."""


class CommentForm(BaseModel):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class DevSignIn(BaseModel):
    """The development sign-in form: who to be, with which role."""

    name: DisplayName
    role: StaffRole
