"""The two application forms (``/candidater``, ``/deposer-un-projet``) and their confirmation
pages: another entry point onto :func:`~services.intake.service_layer.submit_application`,
validated by the API's own models.

Each form carries a key of its own (``form_key``, a hidden field made when the form is shown):
it is the submission's idempotency key, so a double click or a reloaded POST finds the first
answer instead of creating a second dossier.
"""

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from libs.api_errors import ApiError, FieldError
from libs.database import transaction
from libs.private_pages import PRIVATE_PAGE_HEADERS
from libs.web.form_errors import FormErrors, form_errors
from libs.web.language import page_language
from libs.web.pages import Pages, pages_router
from libs.wording import (
    ADMINISTRATION_KIND_LABELS,
    BETA_GOUV_PHASE_LABELS,
    LANGUAGE_LABELS,
    ROLE_LABELS,
    Label,
)
from services.intake.api.applications import check_rate_limits
from services.intake.api.dependencies import IntakeDep
from services.intake.bootstrap import Intake
from services.intake.domain import IdempotencyKeyReused
from services.intake.pages.form_fields import (
    CANDIDATE_FORM,
    MESSAGES,
    PROJECT_FORM,
    ApplicationFormSpec,
    api_body,
    kept_input,
)
from services.intake.promotion_calendar import next_round
from services.intake.repository import ApplicationRepository
from services.intake.service_layer import submit_application

router = pages_router(forms_only=True)

FORM_KEY_FIELD: Final = "form_key"
FORM_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
IDEMPOTENCY_PREFIX: Final = "page:"
"""Keeps the forms' keys apart from the keys programs send to the API."""

ALREADY_SENT: Final = Label(
    "Ce formulaire avait déjà été envoyé, avec un autre contenu : votre premier envoi est bien "
    "enregistré. Pour déposer aussi ce contenu-ci, comme un nouveau dossier, envoyez de nouveau.",
    "This form had already been sent, with other content: your first submission is recorded. "
    "To submit this content too, as a new dossier, send again.",
)

OPTIONS: Final[dict[str, Mapping[str, Label]]] = {
    "roles": ROLE_LABELS,
    "administration_kinds": ADMINISTRATION_KIND_LABELS,
    "beta_gouv_phases": BETA_GOUV_PHASE_LABELS,
    "languages": LANGUAGE_LABELS,
}
"""The choices of the forms' radios and checkboxes, named as everywhere else (libs.wording)."""


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def render_form(
    request: Request,
    pages: Pages,
    spec: ApplicationFormSpec,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    form_key: str | None = None,
    notice: Label | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or FormErrors({})
    language = page_language(request)
    options = {
        name: [(code, named.in_(language)) for code, named in choices.items()]
        for name, choices in OPTIONS.items()
    }
    return pages.render(
        request,
        spec.template,
        {
            "spec": spec,
            "labels": {name: named.in_(language) for name, named in spec.labels.items()},
            "values": values or {"preferred_language": language.value},
            "errors": {name: message.in_(language) for name, message in errors.by_field.items()},
            "error_summary": [
                (name, message.in_(language)) for name, message in errors.summary(spec.labels)
            ],
            "form_key": form_key or new_form_key(),
            # A blank form may take the draft kept in the browser; a form the server sends
            # back holds what was just posted, which is newer.
            "restore_draft": values is None,
            "notice": notice.in_(language) if notice else None,
            **options,
        },
        status_code=status_code,
    )


async def submit_form(
    request: Request, pages: Pages, intake: Intake, spec: ApplicationFormSpec
) -> Response:
    form = await request.form()
    form_key = form.get(FORM_KEY_FIELD)
    if not isinstance(form_key, str) or not FORM_KEY_PATTERN.match(form_key):
        raise ApiError(
            400,
            "The form is incomplete: show it again and send it from there.",
            [FieldError(field=FORM_KEY_FIELD, message="Missing or malformed", type="missing")],
        )
    try:
        application = spec.model.model_validate(api_body(spec, form, page_language(request)))
    except ValidationError as invalid:
        return render_form(
            request,
            pages,
            spec,
            values=kept_input(spec, form),
            errors=form_errors(invalid, spec.labels, MESSAGES),
            form_key=form_key,
            status_code=422,
        )
    # The same limits as the API: a script must not use the form to get around them.
    await check_rate_limits(intake, request, application.form())
    try:
        accepted = await submit_application(
            intake.sessions,
            application.form(),
            idempotency_key=f"{IDEMPOTENCY_PREFIX}{form_key}",
            on_committed=intake.outbox_signal.notify,
            confirmation_delay=intake.settings.confirmation_delay,
        )
    except IdempotencyKeyReused:
        return render_form(
            request,
            pages,
            spec,
            values=kept_input(spec, form),
            notice=ALREADY_SENT,
            status_code=409,
        )
    return RedirectResponse(f"{spec.confirmation_path}/{accepted.dossier_id}", status_code=303)


async def confirmation(
    request: Request, pages: Pages, intake: Intake, spec: ApplicationFormSpec, reference: str
) -> Response:
    """The page a sent form leads to. It names the dossier by its reference alone (no personal
    data), so that the reference in the address is all a reader of it learns."""
    try:
        dossier_id = UUID(reference)
    except ValueError:
        raise ApiError(404, "No such application.") from None
    async with transaction(intake.sessions) as session:
        application = await ApplicationRepository(session).get(dossier_id)
    if application is None or application.kind != spec.kind.value:
        raise ApiError(404, "No such application.")
    return pages.render(
        request,
        "application_sent.html",
        {
            "spec": spec,
            "reference": str(dossier_id),
            "next_round": await next_round(intake.promotion_calendar, spec.kind, datetime.now(UTC)),
            "confirm_by": application.created_at + intake.settings.confirmation_delay,
        },
        headers=PRIVATE_PAGE_HEADERS,
    )


@router.get("/candidater", name="candidate_form")
async def candidate_form(request: Request, pages: Pages) -> Response:
    return render_form(request, pages, CANDIDATE_FORM)


@router.post("/candidater", name="submit_candidate_form")
async def submit_candidate_form(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    return await submit_form(request, pages, intake, CANDIDATE_FORM)


@router.get("/candidater/confirmation/{reference}", name="candidate_sent")
async def candidate_sent(
    request: Request, pages: Pages, intake: IntakeDep, reference: str
) -> Response:
    return await confirmation(request, pages, intake, CANDIDATE_FORM, reference)


@router.get("/deposer-un-projet", name="project_form")
async def project_form(request: Request, pages: Pages) -> Response:
    return render_form(request, pages, PROJECT_FORM)


@router.post("/deposer-un-projet", name="submit_project_form")
async def submit_project_form(request: Request, pages: Pages, intake: IntakeDep) -> Response:
    return await submit_form(request, pages, intake, PROJECT_FORM)


@router.get("/deposer-un-projet/confirmation/{reference}", name="project_sent")
async def project_sent(
    request: Request, pages: Pages, intake: IntakeDep, reference: str
) -> Response:
    return await confirmation(request, pages, intake, PROJECT_FORM, reference)
