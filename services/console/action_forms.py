"""The form of each dossier action, derived from its body model (workflows/dossier/models.py),
so a field added to an action shows on its form: enums become radios, dates date inputs,
notes text areas."""

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args
from uuid import UUID

from libs.wording import Label
from workflows.dossier.models import ACTION_BODIES, Action

ACTION_LABELS: Mapping[str, Label] = {
    Action.REQUEST_INVESTIGATION: Label("Demander une instruction", "Request an investigation"),
    Action.RECORD_INVESTIGATION: Label("Conclure l’instruction", "Conclude the investigation"),
    Action.RECORD_EVALUATION: Label("Enregistrer l’évaluation", "Record the evaluation"),
    Action.RECORD_DEFENCE: Label("Enregistrer la soutenance", "Record the defence"),
    Action.RECORD_DECISION: Label("Décision du jury", "Jury decision"),
    Action.SIGN_PARTNERSHIP: Label(
        "Enregistrer la convention signée", "Record the signed partnership"
    ),
    Action.RECORD_REVIEW: Label("Examiner la candidature", "Review the application"),
    Action.RECORD_INTERVIEW: Label("Enregistrer l’entretien", "Record the interview"),
    Action.PROPOSE_MATCH: Label("Proposer une mise en relation", "Propose a match"),
    Action.RECORD_JOINT_INTERVIEW: Label(
        "Enregistrer l’entretien avec l’administration", "Record the joint interview"
    ),
}

OPTION_LABELS: Mapping[str, Label] = {
    "eligible": Label("Éligible", "Eligible"),
    "ineligible": Label("Non éligible", "Not eligible"),
    "qualified": Label("Qualifié", "Qualified"),
    "not_qualified": Label("Non qualifié", "Not qualified"),
    "selected": Label("Retenu", "Selected"),
    "not_selected": Label("Non retenu", "Not selected"),
    "deferred": Label("Reporté à la session suivante", "Deferred to the next round"),
    "shortlisted": Label("Présélectionné (entretien)", "Shortlisted (interview)"),
    "rejected": Label("Non retenu", "Rejected"),
    "pool": Label("Au vivier", "To the pool"),
    "back_to_pool": Label("Retour au vivier", "Back to the pool"),
}

FIELD_LABELS: Mapping[str, Label] = {
    "outcome": Label("Résultat", "Outcome"),
    "decision": Label("Décision", "Decision"),
    "note": Label("Note (visible par le demandeur)", "Note (shown to the applicant)"),
    "signed_on": Label("Date de signature", "Date signed"),
    "project_dossier_id": Label("Numéro du dossier projet", "Project dossier number"),
}

FieldKind = Literal["radios", "date", "textarea", "text"]


@dataclass(frozen=True)
class FormField:
    name: str
    kind: FieldKind
    label: Label
    required: bool
    options: tuple[tuple[str, Label], ...] = ()


@dataclass(frozen=True)
class ActionForm:
    action: str
    label: Label
    fields: tuple[FormField, ...]


def _field(name: str, annotation: Any, required: bool) -> FormField:
    label = FIELD_LABELS.get(name, Label(name, name))
    candidates = [annotation, *get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            options = tuple(
                (
                    str(member.value),
                    OPTION_LABELS.get(str(member.value), Label(member.value, member.value)),
                )
                for member in candidate
            )
            return FormField(name, "radios", label, required, options)
        if candidate is dt.date:
            return FormField(name, "date", label, required)
        if candidate is UUID:
            return FormField(name, "text", label, required)
    return FormField(name, "textarea" if name == "note" else "text", label, required)


def action_form(action: str) -> ActionForm:
    model = ACTION_BODIES[action]
    fields = tuple(
        _field(name, info.annotation, info.is_required())
        for name, info in model.model_fields.items()
    )
    return ActionForm(action, ACTION_LABELS.get(action, Label(action, action)), fields)


STAFF_ACTION_NAMES = frozenset(ACTION_LABELS)
"""The actions the console offers (``withdraw`` is the applicant's)."""
