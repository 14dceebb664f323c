"""Signing in and out. ``AUTH_MODE=dev``: a form to pick a display name and a role, which
mints a development JWT the staff APIs accept (refused in production by the settings, and
here again); ``AUTH_MODE=oidc``: the identity provider's sign-in (:mod:`services.console.oidc`):
a button to the provider, its return to ``/console/connexion/retour``, and sign-out at the
provider too when it has an end-session endpoint."""

import logging
import re

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from libs.auth import StaffRole, dev_signing_key, mint_dev_token
from libs.web.error_pages import ErrorText, render_error_page
from libs.web.pages import Pages, pages_router
from services.console.bootstrap import OIDC_CALLBACK_PATH
from services.console.oidc import PendingSignIn, ProviderUnavailable, SignInFailed
from services.console.pages.dependencies import (
    NEXT_PARAM,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    ConsoleDep,
    safe_next,
)
from services.console.schemas import DevSignIn
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused

logger = logging.getLogger(__name__)
router = pages_router()
OIDC_START_PATH = "/console/connexion/oidc"

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
            "oidc_sign_in": console.oidc is not None,
            "provider_name": console.settings.OIDC_PROVIDER_NAME,
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


@router.get(OIDC_START_PATH, name="oidc_sign_in")
async def oidc_start(request: Request, pages: Pages, console: ConsoleDep) -> Response:
    """To the provider's sign-in, with a fresh state, nonce and PKCE verifier kept in an
    encrypted cookie until the browser returns."""
    if console.oidc is None:
        raise ApiRefused(404, "Connexion OIDC non configurée / OIDC sign-in not configured.")
    next_path = safe_next(request.query_params.get(NEXT_PARAM))
    try:
        url, pending = await console.oidc.start(next_path)
    except ProviderUnavailable as error:
        return _provider_unavailable(request, pages, error)
    response = RedirectResponse(url, status_code=303)
    console.cookies.write_pending(response, pending.as_dict())
    return response


SIGN_IN_FAILED = ErrorText(
    "Connexion impossible",
    "Sign-in failed",
    "La réponse du fournisseur d’identité n’a pas pu être vérifiée (connexion expirée, "
    "rejouée ou commencée dans un autre navigateur). Recommencez la connexion.",
    "The identity provider's answer could not be verified (a sign-in that expired, was "
    "replayed or was started in another browser). Sign in again.",
)
NO_ROLE = ErrorText(
    "Aucun rôle dans la console",
    "No role in the console",
    "Votre compte est reconnu, mais aucun rôle de la console ne lui est attribué. Demandez à "
    "l’équipe du programme de vous en attribuer un, puis reconnectez-vous.",
    "Your account is recognised, but it holds no role in the console. Ask the programme team "
    "to give you one, then sign in again.",
)


@router.get(OIDC_CALLBACK_PATH, name="oidc_callback")
async def oidc_callback(request: Request, pages: Pages, console: ConsoleDep) -> Response:
    if console.oidc is None:
        raise ApiRefused(404, "Connexion OIDC non configurée / OIDC sign-in not configured.")
    pending = PendingSignIn.from_dict(console.cookies.read_pending(request))
    try:
        signed_in = await console.oidc.finish(dict(request.query_params), pending)
    except SignInFailed as failure:
        logger.info("OIDC sign-in refused: %s", failure)
        response = _sign_in_refused(request, pages, SIGN_IN_FAILED, 400)
    except ProviderUnavailable as error:
        response = _provider_unavailable(request, pages, error)
    else:
        user = signed_in.user
        if not user.roles:
            logger.info("OIDC sign-in without a role: %s", user.id)
            response = _sign_in_refused(request, pages, NO_ROLE, 403)
        else:
            response = RedirectResponse(signed_in.next_path, status_code=303)
            session = ConsoleSession(
                signed_in.access_token,
                user.id,
                user.name or user.id,
                tuple(sorted(role.value for role in user.roles)),
                id_token=signed_in.id_token,
            )
            console.cookies.write(response, session)
    console.cookies.clear_pending(response)  # a sign-in's state and nonce serve once
    return response


PROVIDER_UNAVAILABLE = ErrorText(
    "Fournisseur d’identité injoignable",
    "Identity provider unreachable",
    "Le service de connexion ne répond pas. Réessayez dans quelques instants.",
    "The sign-in service does not answer. Try again in a few moments.",
)


def _provider_unavailable(request: Request, pages: Pages, error: Exception) -> Response:
    logger.warning("identity provider unavailable: %s", error)
    return render_error_page(pages, request, 503, text=PROVIDER_UNAVAILABLE, retry_url=SIGN_IN_PATH)


def _sign_in_refused(request: Request, pages: Pages, text: ErrorText, status: int) -> Response:
    return pages.render(
        request,
        "signin_refused.html",
        {"text": text, "status_code": status, "session": None},
        status_code=status,
    )


@router.post(SIGN_OUT_PATH, name="sign_out")
async def sign_out(request: Request, pages: Pages, console: ConsoleDep) -> Response:
    """The console's session ends. With the identity provider, a page says so and links to
    the provider's end-session endpoint when it has one (its own session would sign the user
    straight back in); a link, since the pages' ``form-action 'self'`` forbids this form to
    redirect the browser to another site."""
    session = console.cookies.read(request)
    if console.oidc is None:
        response: Response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    else:
        back = console.settings.CONSOLE_PUBLIC_URL.rstrip("/") + SIGN_IN_PATH
        ending = await console.oidc.end_session_url(session.id_token if session else "", back)
        response = pages.render(
            request,
            "signed_out.html",
            {
                "end_session_url": ending,
                "provider_name": console.settings.OIDC_PROVIDER_NAME,
                "session": None,
            },
        )
    console.cookies.clear(response)
    return response
