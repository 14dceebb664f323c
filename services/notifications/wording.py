"""Domain: how dossier and contract facts read in each language (roles, kinds, statuses,
amounts and durations come from :mod:`libs.wording`, re-exported here)."""

from collections.abc import Mapping

from libs.messages.common import DossierKind, Language, Role
from libs.messages.dossier_events import DossierStatus
from libs.wording import NBSP as NBSP
from libs.wording import amount_in_euros as amount_in_euros
from libs.wording import months as months
from libs.wording import percent as percent

ROLE_LABELS: Mapping[Language, Mapping[Role, str]] = {
    Language.FR: {
        Role.PRODUCT_DIRECTOR: "directeur·rice produit",
        Role.TECHNICAL_DIRECTOR: "directeur·rice technique",
    },
    Language.EN: {
        Role.PRODUCT_DIRECTOR: "product director",
        Role.TECHNICAL_DIRECTOR: "technical director",
    },
}

KIND_LABELS: Mapping[Language, Mapping[DossierKind, str]] = {
    Language.FR: {DossierKind.CANDIDATE: "candidature", DossierKind.PROJECT: "projet"},
    Language.EN: {DossierKind.CANDIDATE: "candidate application", DossierKind.PROJECT: "project"},
}

STATUS_LABELS: Mapping[Language, Mapping[DossierStatus, str]] = {
    Language.FR: {
        DossierStatus.RECEIVED: "reçu",
        DossierStatus.WITHDRAWN: "retiré",
        DossierStatus.IN_EVALUATION: "en évaluation",
        DossierStatus.INVESTIGATION_REQUESTED: "en investigation",
        DossierStatus.ELIGIBLE: "éligible",
        DossierStatus.INELIGIBLE: "non éligible",
        DossierStatus.SCHEDULED: "inscrit à une session de sélection",
        DossierStatus.DEFENDED: "soutenu devant le jury",
        DossierStatus.NOT_SELECTED: "non retenu",
        DossierStatus.PARTNERSHIP_SIGNED: "convention de partenariat signée",
        DossierStatus.IN_REVIEW: "en cours d'examen",
        DossierStatus.INTERVIEW: "en entretien",
        DossierStatus.REJECTED: "non retenu",
        DossierStatus.IN_POOL: "dans le vivier",
        DossierStatus.MATCHED: "en entretien commun avec un projet",
        DossierStatus.SELECTED: "retenu",
    },
    Language.EN: {
        DossierStatus.RECEIVED: "received",
        DossierStatus.WITHDRAWN: "withdrawn",
        DossierStatus.IN_EVALUATION: "in evaluation",
        DossierStatus.INVESTIGATION_REQUESTED: "under investigation",
        DossierStatus.ELIGIBLE: "eligible",
        DossierStatus.INELIGIBLE: "ineligible",
        DossierStatus.SCHEDULED: "scheduled for a selection round",
        DossierStatus.DEFENDED: "defended before the jury",
        DossierStatus.NOT_SELECTED: "not selected",
        DossierStatus.PARTNERSHIP_SIGNED: "partnership agreement signed",
        DossierStatus.IN_REVIEW: "under review",
        DossierStatus.INTERVIEW: "interview",
        DossierStatus.REJECTED: "rejected",
        DossierStatus.IN_POOL: "in the talent pool",
        DossierStatus.MATCHED: "joint interview with a project",
        DossierStatus.SELECTED: "selected",
    },
}


def role_label(language: Language, role: str) -> str:
    try:
        return ROLE_LABELS[language][Role(role)]
    except ValueError:
        # A role added upstream before its label here: better its code than no e-mail.
        return role


def status_label(language: Language, status: DossierStatus) -> str:
    return STATUS_LABELS[language].get(status, status.value)
