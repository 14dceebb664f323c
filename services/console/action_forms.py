"""The form of each dossier and contract action, derived from its body model
(workflows/dossier/models.py, workflows/contract/models.py), so a field added to an action
shows on its form: enums and booleans become radios, dates date inputs, notes text areas."""

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel

from libs.auth import StaffRole
from libs.wording import Label
from workflows.contract.models import CONTRACT_ACTION_BODIES, ContractAction
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
    "true": Label("Renouveler", "Renew"),
    "false": Label("Ne pas renouveler (fin à la date prévue)", "Do not renew (ends as planned)"),
}

FIELD_LABELS: Mapping[str, Label] = {
    "outcome": Label("Résultat", "Outcome"),
    "decision": Label("Décision", "Decision"),
    "note": Label("Note (visible par le demandeur)", "Note (shown to the applicant)"),
    "signed_on": Label("Date de signature", "Date signed"),
    "project_dossier_id": Label("Numéro du dossier projet", "Project dossier number"),
    "start_on": Label("Date de début", "Start date"),
    "renew": Label("Renouvellement", "Renewal"),
}

CONTRACT_ACTION_LABELS: Mapping[str, Label] = {
    ContractAction.SET_START_DATE: Label("Fixer la date de début", "Set the start date"),
    ContractAction.SEND_OFFER: Label("Envoyer la proposition", "Send the offer"),
    ContractAction.COUNTERSIGN: Label("Contresigner pour la DINUM", "Countersign for DINUM"),
    ContractAction.DECIDE_RENEWAL: Label("Décider du renouvellement", "Decide the renewal"),
}
"""The contract actions the console offers (``accept``/``decline`` are the EIG's)."""

APPLICANT_ACTION_LABELS: Mapping[str, Label] = {
    Action.WITHDRAW: Label("Retrait par le demandeur", "Withdrawn by the applicant"),
    ContractAction.ACCEPT: Label("Acceptation par l’EIG", "Accepted by the EIG"),
    ContractAction.DECLINE: Label("Refus par l’EIG", "Declined by the EIG"),
}
"""The applicants' own actions, as timelines name them (the console offers no form for them)."""

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
        if candidate is bool:
            options = tuple((value, OPTION_LABELS[value]) for value in ("true", "false"))
            return FormField(name, "radios", label, required, options)
        if candidate is dt.date:
            return FormField(name, "date", label, required)
        if candidate is UUID:
            return FormField(name, "text", label, required)
    return FormField(name, "textarea" if name == "note" else "text", label, required)


def _form(action: str, model: type[BaseModel], label: Label) -> ActionForm:
    fields = tuple(
        _field(name, info.annotation, info.is_required())
        for name, info in model.model_fields.items()
    )
    return ActionForm(action, label, fields)


def action_form(action: str) -> ActionForm:
    return _form(action, ACTION_BODIES[action], ACTION_LABELS.get(action, Label(action, action)))


def contract_action_form(action: str) -> ActionForm:
    label = CONTRACT_ACTION_LABELS.get(action, Label(action, action))
    return _form(action, CONTRACT_ACTION_BODIES[action], label)


STAFF_ACTION_NAMES = frozenset(ACTION_LABELS)
"""The actions the console offers (``withdraw`` is the applicant's)."""

ACTION_ROLES: Mapping[str, StaffRole] = {
    Action.RECORD_DECISION: StaffRole.JURY,
    ContractAction.COUNTERSIGN: StaffRole.ADMIN,
}
"""The role an action needs when it is not the programme team's (admins may take all), as the
staff APIs' ``STAFF_ACTIONS`` rule it: a form is shown only to whom the API would let act (an
evaluator is offered none); the APIs stay the authority on a forged post."""


def role_for(action: str) -> StaffRole:
    return ACTION_ROLES.get(action, StaffRole.STAFF)


@dataclass(frozen=True)
class BulkOperation:
    """One action with its outcome, applied to many dossiers with one note."""

    key: str
    action: str
    body: dict[str, str]
    label: Label


def _bulk(
    action: str, outcome_field: str | None = None, outcome: str | None = None
) -> BulkOperation:
    action_label = ACTION_LABELS[action]
    if outcome_field is None or outcome is None:
        return BulkOperation(action, action, {}, action_label)
    option = OPTION_LABELS[outcome]
    label = Label(
        f"{action_label.fr} : {option.fr.lower()}", f"{action_label.en}: {option.en.lower()}"
    )
    return BulkOperation(f"{action}:{outcome}", action, {outcome_field: outcome}, label)


BULK_OPERATIONS: tuple[BulkOperation, ...] = (
    _bulk(Action.RECORD_REVIEW, "outcome", "shortlisted"),
    _bulk(Action.RECORD_REVIEW, "outcome", "rejected"),
    _bulk(Action.RECORD_INTERVIEW, "outcome", "pool"),
    _bulk(Action.RECORD_INTERVIEW, "outcome", "rejected"),
    _bulk(Action.RECORD_EVALUATION, "outcome", "eligible"),
    _bulk(Action.RECORD_EVALUATION, "outcome", "ineligible"),
    _bulk(Action.REQUEST_INVESTIGATION),
    _bulk(Action.RECORD_DEFENCE),
)
"""What a list's bulk action offers: the actions whose body is an outcome and a note (those
needing a date or a project stay on the dossier page)."""
BULK_BY_KEY: Mapping[str, BulkOperation] = {
    operation.key: operation for operation in BULK_OPERATIONS
}
