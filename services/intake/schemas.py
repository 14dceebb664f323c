"""HTTP bodies: the request forms reuse the Kafka payload schemas, adding consent and refusing
control characters; the answers are the Public models."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from libs.messages.applications import CandidateApplication, ProjectApplication
from libs.messages.common import DossierKind
from libs.messages.dossier_events import DossierStatus
from libs.plain_text import refuse_control_characters


def _require_consent(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError(
            "consent_required",
            "Consent must be true: the application cannot be processed without it",
        )
    return value


ConsentGiven = Annotated[
    StrictBool,
    AfterValidator(_require_consent),
    WithJsonSchema({"type": "boolean", "const": True}),
]
"""Literally ``true``: neither ``1``, ``"true"`` nor ``"yes"`` count as consent."""


class RefusesControlCharacters(BaseModel):
    """Every text field refuses control characters but line breaks and tabs (libs.plain_text)."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_control_characters(cls, value: Any) -> Any:
        return refuse_control_characters(value) if isinstance(value, str) else value


CONSENT_DESCRIPTION = (
    "Consent to the processing of this application's personal data by the EIG programme; "
    "must be true"
)

CANDIDATE_EXAMPLE: dict[str, Any] = {
    "first_name": "Camille",
    "last_name": "Martin",
    "email": "camille.martin@example.fr",
    "role": "technical_director",
    "years_of_experience": 12,
    "entrepreneurial_experience": (
        "Cofondatrice et directrice technique d'une jeune pousse de la donnée de santé "
        "(2016-2022), équipe de quinze personnes, produit utilisé par 300 hôpitaux."
    ),
    "motivation": "Mettre mon expérience au service d'une politique publique prioritaire.",
    "links": ["https://github.com/camille-martin", "https://camille-martin.fr"],
    "preferred_language": "fr",
    "consent": True,
}

PROJECT_EXAMPLE: dict[str, Any] = {
    "administration_name": "Direction générale des Finances publiques",
    "administration_kind": "central",
    "project_title": "Détecter plus tôt les entreprises en difficulté",
    "problem_statement": (
        "Les signaux de fragilité des entreprises sont dispersés entre plusieurs "
        "administrations : l'aide arrive souvent trop tard."
    ),
    "public_policy": "Soutien aux entreprises et prévention des faillites",
    "sponsor_name": "Claire Dubois",
    "sponsor_role": "Cheffe du service de la sécurité juridique et du contrôle fiscal",
    "beta_gouv_product_url": "https://beta.gouv.fr/startups/signaux-faibles.html",
    "beta_gouv_phase": "construction",
    "profiles_wanted": ["product_director", "technical_director"],
    "twelve_month_goals": (
        "Outil utilisé dans trois régions pilotes ; 500 entreprises accompagnées "
        "avant la procédure collective."
    ),
    "contact_name": "Julien Lefèvre",
    "contact_email": "julien.lefevre@example.gouv.fr",
    "preferred_language": "fr",
    "consent": True,
}


class CandidateApplicationCreate(RefusesControlCharacters, CandidateApplication):
    """Body of ``POST /api/v1/applications/candidates``."""

    # The form refuses what it does not know (a typo never passes silently); the payload it
    # becomes ignores it, for forward compatibility.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CANDIDATE_EXAMPLE]})

    consent: ConsentGiven = Field(description=CONSENT_DESCRIPTION)

    def form(self) -> CandidateApplication:
        return CandidateApplication.model_validate(
            self.model_dump(mode="json", exclude={"consent"})
        )


class ProjectApplicationCreate(RefusesControlCharacters, ProjectApplication):
    """Body of ``POST /api/v1/applications/projects``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PROJECT_EXAMPLE]})

    consent: ConsentGiven = Field(description=CONSENT_DESCRIPTION)

    def form(self) -> ProjectApplication:
        return ProjectApplication.model_validate(self.model_dump(mode="json", exclude={"consent"}))


class ApplicationAcceptedPublic(BaseModel):
    """Answer to an accepted application (202): where its status can be followed."""

    dossier_id: UUID = Field(description="The dossier's id, to quote in any exchange")
    kind: DossierKind
    status: DossierStatus = Field(description="Always 'received' at this point")
    status_url: str = Field(description="Private link to the dossier's status page; keep it secret")


class TimelineEntryPublic(BaseModel):
    status: str = Field(description="Status reached")
    at: datetime = Field(description="When (UTC)")
    note: str = Field(default="", description="Note from the programme team, if any")


class DossierStatusPublic(BaseModel):
    """A dossier's current status and history, as shown to its applicant."""

    dossier_id: UUID
    kind: DossierKind
    title: str = Field(description="Project title, or the candidate's role")
    status: str = Field(description="Current status")
    submitted_at: datetime
    updated_at: datetime = Field(description="When the status last changed")
    timeline: list[TimelineEntryPublic] = Field(description="Oldest first; starts at submission")


class WithdrawalPublic(BaseModel):
    """Answer to a withdrawal: the dossier's status now, as the dossier workflow says."""

    dossier_id: UUID
    status: DossierStatus = Field(description="Always 'withdrawn' (final)")
    allowed_actions: list[str] = Field(description="What can still be done: nothing")
