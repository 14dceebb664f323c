"""Signing in and out. ``AUTH_MODE=dev``: a form to pick a display name and a role, which
mints a development JWT the staff APIs accept (refused in production by the settings, and
here again); ``AUTH_MODE=oidc``: the identity provider's sign-in."""

import re

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from libs.auth import StaffRole, dev_signing_key, mint_dev_token
from libs.web.pages import Pages, pages_router
from services.console.pages.dependencies import (
    NEXT_PARAM,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    ConsoleDep,
    safe_next,
)
from services.console.schemas import DevSignIn
from services.console.sessions import ConsoleSession

router = pages_router()

DEV_TOKEN_LIFETIME_SECONDS = 8 * 3600
"""A working day: the session's idle expiry usually ends it first."""

ROLE_CHOICES = (
    (StaffRole.STAFF, "Équipe du programme", "Programme team"),
    (StaffRole.EVALUATOR, "Évaluateur ou évaluatrice", "Evaluator"),
    (StaffRole.JURY, "Jury", "Jury"),
    (StaffRole.ADMIN, "Administrateur ou administratrice", "Administrator"),
)


def _render(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    *,
    next_path: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return pages.render(
        request,
        "signin.html",
        {
            "dev_sign_in": console.dev_sign_in,
            "role_choices": ROLE_CHOICES,
            "next_path": next_path,
            "values": values or {},
            "errors": errors or {},
            "session": None,
        },
        status_code=status_code,
    )


@router.get(SIGN_IN_PATH, name="sign_in")
async def sign_in_page(request: Request, pages: Pages, console: ConsoleDep) -> Response:
    return _render(
        request, pages, console, next_path=safe_next(request.query_params.get(NEXT_PARAM))
    )


def dev_subject(name: str, role: StaffRole) -> str:
    """One subject per name and role, so two developers' scorecards stay apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "anonyme"
    return f"dev-{role.value}-{slug}"


@router.post(SIGN_IN_PATH, name="dev_sign_in")
async def dev_sign_in(request: Request, pages: Pages, console: ConsoleDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ("name", "role")}
    next_path = safe_next(str(form.get(NEXT_PARAM, "")))
    if not console.dev_sign_in:
        return _render(request, pages, console, next_path=next_path, status_code=403)
    try:
        choice = DevSignIn.model_validate(values)
    except ValidationError as error:
        errors = {
            str(item["loc"][0]): _sign_in_error(str(item["loc"][0])) for item in error.errors()
        }
        return _render(
            request,
            pages,
            console,
            next_path=next_path,
            values=values,
            errors=errors,
            status_code=422,
        )
    settings = console.settings
    key = dev_signing_key(settings.dev_signing_key_file, create=True)
    assert key is not None  # just created if it was missing
    subject = dev_subject(choice.name, choice.role)
    token = mint_dev_token(
        key,
        subject=subject,
        name=choice.name,
        roles=frozenset({choice.role}),
        lifetime_seconds=DEV_TOKEN_LIFETIME_SECONDS,
    )
    response = RedirectResponse(next_path, status_code=303)
    session = ConsoleSession(token, subject, choice.name, (choice.role.value,))
    console.cookies.write(response, session)
    return response


def _sign_in_error(field: str) -> str:
    if field == "role":
        return "Choisissez un rôle / Choose a role."
    return "Indiquez votre nom (100 caractères au plus) / Enter your name (100 characters at most)."


@router.post(SIGN_OUT_PATH, name="sign_out")
async def sign_out(console: ConsoleDep) -> Response:
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    console.cookies.clear(response)
    return response
