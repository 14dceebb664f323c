"""Application forms (project and candidate) and the event that carries them."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from libs.messages.common import Contact, DossierKind, Language, Role
from libs.messages.envelope import Event

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
OptionalLongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class AdministrationKind(StrEnum):
    CENTRAL = "central"
    DECONCENTRATED = "deconcentrated"
    OPERATOR = "operator"


class BetaGouvPhase(StrEnum):
    INVESTIGATION = "investigation"
    CONSTRUCTION = "construction"
    ACCELERATION = "acceleration"
    NONE = "none"


class CandidateApplication(BaseModel):
    """A digital professional's application (product or technical director)."""

    # Unknown fields ignored: a newer intake may add some during a rolling upgrade, and the
    # consumers must still read the application (the HTTP form refuses them: schemas.py).
    model_config = ConfigDict(extra="ignore", frozen=True)

    first_name: ShortText = Field(description="Given name")
    last_name: ShortText = Field(description="Family name")
    email: EmailStr = Field(description="Contact address for every update")
    role: Role = Field(description="Profile applied for")
    years_of_experience: int = Field(ge=0, le=60, description="Years of professional experience")
    entrepreneurial_experience: LongText = Field(description="Entrepreneurial track record")
    motivation: OptionalLongText = Field(default="", description="Why the programme")
    links: list[AnyHttpUrl] = Field(default_factory=list, max_length=10, description="Portfolio")
    preferred_language: Language = Field(default=Language.FR, description="Language of e-mails")

    @property
    def contact(self) -> Contact:
        return Contact(
            name=f"{self.first_name} {self.last_name}",
            email=self.email,
            language=self.preferred_language,
        )

    @property
    def title(self) -> str:
        return self.role.value


class ProjectApplication(BaseModel):
    """An administration's project ("défi")."""

    # Unknown fields ignored: a newer intake may add some during a rolling upgrade, and the
    # consumers must still read the application (the HTTP form refuses them: schemas.py).
    model_config = ConfigDict(extra="ignore", frozen=True)

    administration_name: ShortText = Field(description="Administration submitting the project")
    administration_kind: AdministrationKind = Field(description="Kind of administration")
    project_title: ShortText = Field(description="Short title of the project")
    problem_statement: LongText = Field(description="The public problem to solve")
    public_policy: ShortText = Field(description="The priority public policy it serves")
    sponsor_name: ShortText = Field(description="High-level sponsor in the administration")
    sponsor_role: ShortText = Field(description="The sponsor's position")
    beta_gouv_product_url: AnyHttpUrl | None = Field(default=None, description="beta.gouv.fr page")
    beta_gouv_phase: BetaGouvPhase = Field(description="Phase in the beta.gouv.fr approach")
    profiles_wanted: list[Role] = Field(min_length=1, max_length=2, description="Roles wanted")
    twelve_month_goals: LongText = Field(description="Measurable goals for the first 12 months")
    contact_name: ShortText = Field(description="Person in charge of the application")
    contact_email: EmailStr = Field(description="Contact address for every update")
    preferred_language: Language = Field(default=Language.FR, description="Language of e-mails")

    @property
    def contact(self) -> Contact:
        return Contact(
            name=self.contact_name, email=self.contact_email, language=self.preferred_language
        )

    @property
    def title(self) -> str:
        return self.project_title


class ApplicationReceived(Event):
    """Intake stored an application, unconfirmed: its contact must confirm the e-mail address
    (the link notifications sends) before ``confirm_by``, or the application is deleted.

    Only what the confirmation e-mail needs; the application itself travels once confirmed,
    as ``*ApplicationSubmitted`` (docs/adr/0024)."""

    type: Literal["ApplicationReceived"] = "ApplicationReceived"
    kind: DossierKind
    title: str = Field(description="Project title, or the candidate's role")
    contact: Contact
    confirm_by: datetime = Field(description="Deadline of the confirmation (UTC)")


class CandidateApplicationSubmitted(Event):
    """A candidate application was accepted by intake and its e-mail address confirmed: the
    dossier starts (its workflow, its round)."""

    type: Literal["CandidateApplicationSubmitted"] = "CandidateApplicationSubmitted"
    kind: Literal[DossierKind.CANDIDATE] = DossierKind.CANDIDATE
    payload: CandidateApplication


class ProjectApplicationSubmitted(Event):
    """A project application was accepted by intake and its e-mail address confirmed."""

    type: Literal["ProjectApplicationSubmitted"] = "ProjectApplicationSubmitted"
    kind: Literal[DossierKind.PROJECT] = DossierKind.PROJECT
    payload: ProjectApplication


ApplicationSubmitted = Annotated[
    CandidateApplicationSubmitted | ProjectApplicationSubmitted, Field(discriminator="type")
]
"""What starts a dossier on ``eig.applications.v1`` (which also carries
:class:`ApplicationReceived`, before it, under the same key)."""

ApplicationEvent = Annotated[
    ApplicationReceived | CandidateApplicationSubmitted | ProjectApplicationSubmitted,
    Field(discriminator="type"),
]
"""Everything that travels on ``eig.applications.v1``."""
