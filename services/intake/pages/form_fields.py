"""The two application forms as a browser sends them: each field's label, and how the posted
fields become the body the JSON API takes (the same model validates both)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from libs.messages.common import DossierKind, Language
from libs.wording import Label
from services.intake.schemas import CandidateApplicationCreate, ProjectApplicationCreate

CANDIDATE_LABELS: Mapping[str, Label] = {
    "first_name": Label("Prénom", "Given name"),
    "last_name": Label("Nom", "Family name"),
    "email": Label("Adresse électronique", "E-mail address"),
    "role": Label("Rôle", "Role"),
    "years_of_experience": Label(
        "Années d’expérience professionnelle", "Years of professional experience"
    ),
    "entrepreneurial_experience": Label(
        "Votre expérience entrepreneuriale", "Your entrepreneurial experience"
    ),
    "motivation": Label("Votre motivation", "Your motivation"),
    "links": Label("Liens (portfolio, profils, réalisations)", "Links (portfolio, profiles, work)"),
    "preferred_language": Label("Langue des courriels", "Language of the e-mails"),
    "consent": Label("Consentement", "Consent"),
}

PROJECT_LABELS: Mapping[str, Label] = {
    "administration_name": Label("Nom de l’administration", "Name of the administration"),
    "administration_kind": Label("Type d’administration", "Kind of administration"),
    "project_title": Label("Titre du projet", "Project title"),
    "problem_statement": Label("Le problème public à résoudre", "The public problem to solve"),
    "public_policy": Label(
        "Politique publique prioritaire servie", "Priority public policy served"
    ),
    "sponsor_name": Label("Nom du sponsor", "Sponsor’s name"),
    "sponsor_role": Label("Fonction du sponsor", "Sponsor’s position"),
    "beta_gouv_product_url": Label(
        "Page beta.gouv.fr du produit", "The product’s beta.gouv.fr page"
    ),
    "beta_gouv_phase": Label(
        "Phase dans l’approche beta.gouv.fr", "Phase in the beta.gouv.fr approach"
    ),
    "profiles_wanted": Label("Profils recherchés", "Profiles wanted"),
    "twelve_month_goals": Label(
        "Objectifs mesurables pour les 12 premiers mois", "Measurable goals for the first 12 months"
    ),
    "contact_name": Label("Nom de la personne à contacter", "Contact person’s name"),
    "contact_email": Label("Adresse électronique de contact", "Contact e-mail address"),
    "preferred_language": Label("Langue des courriels", "Language of the e-mails"),
    "consent": Label("Consentement", "Consent"),
}

MESSAGES: Mapping[str, Label] = {
    "consent_required": Label(
        "Cochez cette case : le dossier ne peut pas être examiné sans votre accord.",
        "Tick this box: the dossier cannot be reviewed without your agreement.",
    ),
}
"""The words of the API models' own rules (services/intake/schemas.py)."""

MULTIPLE_CHOICES = frozenset({"profiles_wanted"})
"""Fields sent as several values (checkboxes)."""

LINES = frozenset({"links"})
"""Textareas holding one value per line."""
INTEGERS = frozenset({"years_of_experience"})
"""Number inputs: the API takes a JSON integer, so the form's digits are read as one."""


@dataclass(frozen=True)
class ApplicationFormSpec:
    """One of the two forms: where it lives, its model, its fields' labels."""

    kind: DossierKind
    path: str
    model: type[CandidateApplicationCreate] | type[ProjectApplicationCreate]
    labels: Mapping[str, Label]
    template: str

    @property
    def confirmation_path(self) -> str:
        return f"{self.path}/confirmation"

    @property
    def draft_key(self) -> str:
        """Where the browser keeps the draft (localStorage, by the autosave module)."""
        return f"{self.kind.value}-application"


CANDIDATE_FORM = ApplicationFormSpec(
    DossierKind.CANDIDATE,
    "/candidater",
    CandidateApplicationCreate,
    CANDIDATE_LABELS,
    "candidate_form.html",
)
PROJECT_FORM = ApplicationFormSpec(
    DossierKind.PROJECT,
    "/deposer-un-projet",
    ProjectApplicationCreate,
    PROJECT_LABELS,
    "project_form.html",
)


def api_body(spec: ApplicationFormSpec, form: FormData, language: Language) -> dict[str, Any]:
    """The JSON body the API would get for this form: checkboxes as lists or ``true``, one link
    per line, an empty field as missing. Only the form's own fields are read."""
    body: dict[str, Any] = {}
    for name in spec.labels:
        if name == "consent":
            body[name] = form.get(name) == "on"
        elif name in MULTIPLE_CHOICES:
            body[name] = [value for value in form.getlist(name) if isinstance(value, str)]
        elif name in LINES:
            text = form.get(name)
            lines = text.splitlines() if isinstance(text, str) else []
            body[name] = [line.strip() for line in lines if line.strip()]
        else:
            value = form.get(name)
            text = value if isinstance(value, str) else ""
            # Left empty, a field is absent, as in a JSON body without it: the model's default,
            # or "required" (rather than "not a number", "not an address"…).
            if name in INTEGERS and text.strip().isascii() and text.strip().isdigit():
                body[name] = int(text.strip())
            elif text.strip():
                body[name] = text
    if not body.get("preferred_language"):
        body["preferred_language"] = language.value
    return body


def kept_input(spec: ApplicationFormSpec, form: FormData) -> dict[str, Any]:
    """What the form shows again after a refusal: every field as typed (lists for checkboxes)."""
    kept: dict[str, Any] = {}
    for name in spec.labels:
        if name in MULTIPLE_CHOICES:
            kept[name] = [value for value in form.getlist(name) if isinstance(value, str)]
        else:
            value = form.get(name)
            kept[name] = value if isinstance(value, str) else ""
    return kept
