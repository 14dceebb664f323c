"""HTTP bodies: the request forms reuse the Kafka payload schemas, adding consent and refusing
control characters; the answers are the Public models."""

from datetime import date, datetime
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

from libs.api_params import JsonInt
from libs.messages.applications import CandidateApplication, ProjectApplication
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import DossierStatus
from libs.plain_text import ALLOWED_CHARACTER, TEXT_PATTERN, refuse_control_characters
from services.intake.text_policy import SINGLE_LINE_FIELDS, check_single_line_text


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

FILLED_TEXT_PATTERN = rf"^{ALLOWED_CHARACTER}*[^\s\u0000-\u001f\u007f]{ALLOWED_CHARACTER}*$"
"""Text required (``min_length=1`` after stripping): at least one visible character."""


def document_text_rules(schema: dict[str, Any], examples: list[dict[str, Any]]) -> None:
    """``json_schema_extra`` of the forms: each text property gets the pattern its validators
    enforce (no control character; something left once stripped, when required), so that the
    document tells clients (and fuzzers) what is refused."""
    schema["examples"] = examples
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "string" and "format" not in prop and "const" not in prop:
            prop["pattern"] = FILLED_TEXT_PATTERN if prop.get("minLength") else TEXT_PATTERN


class RefusesControlCharacters(BaseModel):
    """Every text field refuses control characters but line breaks and tabs (libs.plain_text)."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_control_characters(cls, value: Any) -> Any:
        return refuse_control_characters(value) if isinstance(value, str) else value


class AppliesTextPolicy(BaseModel):
    """Names, administration and titles are plain single-line text (:mod:`text_policy`)."""

    @field_validator(*SINGLE_LINE_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _plain_single_line(cls, value: Any) -> Any:
        return check_single_line_text(value) if isinstance(value, str) else value


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


class CandidateApplicationCreate(RefusesControlCharacters, AppliesTextPolicy, CandidateApplication):
    """Body of ``POST /api/v1/applications/candidates``."""

    # The form refuses what it does not know (a typo never passes silently); the payload it
    # becomes ignores it, for forward compatibility.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema, _model: document_text_rules(schema, [CANDIDATE_EXAMPLE]),
    )

    # An integer, as documented: not "12" (the event schema stays lax, for replays).
    years_of_experience: JsonInt = Field(
        ge=0, le=60, description="Years of professional experience"
    )
    consent: ConsentGiven = Field(description=CONSENT_DESCRIPTION)

    def form(self) -> CandidateApplication:
        return CandidateApplication.model_validate(
            self.model_dump(mode="json", exclude={"consent"})
        )


class ProjectApplicationCreate(RefusesControlCharacters, AppliesTextPolicy, ProjectApplication):
    """Body of ``POST /api/v1/applications/projects``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema, _model: document_text_rules(schema, [PROJECT_EXAMPLE]),
    )

    consent: ConsentGiven = Field(description=CONSENT_DESCRIPTION)

    def form(self) -> ProjectApplication:
        return ProjectApplication.model_validate(self.model_dump(mode="json", exclude={"consent"}))


class ApplicationAcceptedPublic(BaseModel):
    """Answer to an accepted application (202). The private links go to the contact's e-mail
    address only: the first e-mail asks to confirm the address, and the dossier starts once
    it is confirmed."""

    dossier_id: UUID = Field(description="The dossier's id, to quote in any exchange")
    kind: DossierKind
    status: DossierStatus = Field(description="Always 'received' at this point")
    confirm_by: datetime = Field(
        description="Deadline (UTC) to confirm the e-mail address with the link e-mailed to "
        "it; unconfirmed by then, the application is deleted"
    )


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


# Public results (GET /api/v1/public/results, /resultats, /resultats.csv): counts only, and
# the titles and administrations of signed partnerships, which are public; nobody is named.


class MonthlyApplications(BaseModel):
    month: str = Field(description="Month of receipt in Paris time, YYYY-MM", examples=["2026-03"])
    kind: DossierKind
    count: int = Field(ge=0)


class SelectedProject(BaseModel):
    title: str = Field(description="The project's title")
    administration: str = Field(description="The administration that submitted it")
    signed_on: date = Field(description="The day its partnership was signed (Paris time)")


class Recruitment(BaseModel):
    role: Role | None = Field(description="The EIG's role (null in the oldest contracts)")
    band: str = Field(description="Pay band, e.g. up_to_10_years")
    count: int = Field(ge=0, description="EIG whose contract is signed")


class Seats(BaseModel):
    used: int = Field(ge=0, description="Seats held by selected EIG")
    cap: int | None = Field(description="The promotion's cap; null until a selection told it")


class PromotionResults(BaseModel):
    promotion: int = Field(ge=1, description="Promotion number")
    applications_received: list[MonthlyApplications] = Field(
        description="Applications received (their workflow recorded them), per month and kind"
    )
    projects_selected: list[SelectedProject] = Field(description="Signed partnerships")
    eig_recruited: list[Recruitment] = Field(description="Signed contracts, per role and band")
    seats: Seats
    contracts_renewed: int = Field(ge=0, description="Contract terms renewed")

    def received_total(self, kind: DossierKind) -> int:
        return sum(row.count for row in self.applications_received if row.kind == kind)

    def tidy_rows(self) -> list[tuple[int, str, str, int]]:
        """(promotion, measure, dimension, value) rows: the CSV's. A dimension is
        ``name=value`` pairs joined by ``;`` (empty for a single figure)."""
        number = self.promotion
        rows = [
            (number, "applications_received", f"month={row.month};kind={row.kind.value}", row.count)
            for row in self.applications_received
        ]
        rows += [
            (
                number,
                "project_selected",
                f"administration={project.administration};title={project.title}",
                1,
            )
            for project in self.projects_selected
        ]
        rows += [
            (
                number,
                "eig_recruited",
                f"role={row.role.value if row.role else ''};band={row.band}",
                row.count,
            )
            for row in self.eig_recruited
        ]
        rows.append((number, "seats_used", "", self.seats.used))
        if self.seats.cap is not None:
            rows.append((number, "seat_cap", "", self.seats.cap))
        rows.append((number, "contracts_renewed", "", self.contracts_renewed))
        return rows


class PublicResults(BaseModel):
    """The programme's public results, per promotion (newest first)."""

    promotions: list[PromotionResults]
