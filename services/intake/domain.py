"""What intake decides on its own: a dossier's birth event and what makes two requests identical."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from libs.messages.applications import (
    ApplicationReceived,
    CandidateApplication,
    CandidateApplicationSubmitted,
    ProjectApplication,
    ProjectApplicationSubmitted,
)
from libs.messages.common import DossierKind

ApplicationForm = CandidateApplication | ProjectApplication
ApplicationSubmitted = CandidateApplicationSubmitted | ProjectApplicationSubmitted


class IdempotencyKeyReused(Exception):
    """The same ``Idempotency-Key`` came back with a different request."""


@dataclass(frozen=True)
class AcceptedApplication:
    dossier_id: UUID
    kind: DossierKind
    confirm_by: datetime
    """Until when the e-mail address can be confirmed; past it, the application is purged."""
    replayed: bool = False
    """True when this is the stored answer to an earlier identical request."""


def dossier_kind(form: ApplicationForm) -> DossierKind:
    return DossierKind.CANDIDATE if isinstance(form, CandidateApplication) else DossierKind.PROJECT


def submission_event(
    dossier_id: UUID, form: ApplicationForm, occurred_at: datetime
) -> ApplicationSubmitted:
    if isinstance(form, CandidateApplication):
        return CandidateApplicationSubmitted(
            dossier_id=dossier_id, occurred_at=occurred_at, payload=form
        )
    return ProjectApplicationSubmitted(dossier_id=dossier_id, occurred_at=occurred_at, payload=form)


def received_event(
    dossier_id: UUID, form: ApplicationForm, occurred_at: datetime, confirm_by: datetime
) -> ApplicationReceived:
    """What the confirmation e-mail needs, and nothing more of the form."""
    return ApplicationReceived(
        dossier_id=dossier_id,
        occurred_at=occurred_at,
        kind=dossier_kind(form),
        title=form.title,
        contact=form.contact,
        confirm_by=confirm_by,
    )


def stored_form(kind: DossierKind, payload: dict[str, Any]) -> ApplicationForm:
    """The form as stored in ``applications.payload``."""
    if kind == DossierKind.CANDIDATE:
        return CandidateApplication.model_validate(payload)
    return ProjectApplication.model_validate(payload)


def request_sha256(form: ApplicationForm) -> str:
    """Fingerprint of the validated form: key order, spacing and defaults do not change it."""
    canonical = json.dumps(
        {"kind": dossier_kind(form).value, "form": form.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def as_utc(moment: datetime) -> datetime:
    """Producers should send aware timestamps; a naive one is taken as UTC rather than refused."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
