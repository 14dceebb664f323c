"""What every console page route shares: the console's parts, the signed-in session, and the
answers to a missing session or a refusing API."""

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from libs.web.error_pages import ErrorText, render_error_page
from libs.web.rendering import PageRenderer
from services.console.bootstrap import Console
from services.console.sessions import SESSION_STATE_KEY, ConsoleSession
from services.console.staff_api import ApiRefused

SIGN_IN_PATH = "/console/connexion"
SIGN_OUT_PATH = "/console/deconnexion"
HOME_PATH = "/console/"
NEXT_PARAM = "suivant"


class SignInRequired(Exception):
    """No session (or an expired one): the browser goes to the sign-in page, then back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(get_console)]


async def current_session(request: Request, console: ConsoleDep) -> ConsoleSession:
    session = console.cookies.read(request)
    if session is None:
        raise SignInRequired(_here(request))
    # Seen by SessionRefresh: the cookie is re-issued, so the idle clock starts again.
    setattr(request.state, SESSION_STATE_KEY, session)
    return session


SessionDep = Annotated[ConsoleSession, Depends(current_session)]


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


def safe_next(path: str | None) -> str:
    """Only a console path: a sign-in never sends the browser to another site."""
    if path and path.startswith("/console/") and not path.startswith("//"):
        return path
    return HOME_PATH


def sign_in_redirect(request: Request, next_path: str) -> Response:
    if request.method != "GET":
        next_path = HOME_PATH  # a form post cannot be replayed by a redirect
    response = RedirectResponse(
        f"{SIGN_IN_PATH}?{urlencode({NEXT_PARAM: next_path})}", status_code=303
    )
    get_console(request).cookies.clear(response)
    return response


REFUSED = ErrorText(
    "Accès refusé",
    "Access denied",
    "Votre rôle ne permet pas cette opération : le service l’a refusée.",
    "Your role does not allow this operation: the service refused it.",
)
UNAVAILABLE = ErrorText(
    "Service momentanément indisponible",
    "Service temporarily unavailable",
    "Le service des dossiers ne répond pas. Réessayez dans quelques instants.",
    "The dossier service does not answer. Try again in a few moments.",
)


async def posted_form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


def shown_on_the_form(refusal: ApiRefused) -> bool:
    """A refusal the form's page shows (a workflow's reason, fields at fault); 401, 403 and
    404 are their own pages (a forged post by the wrong role shows the API's 403 as such)."""
    return refusal.status_code not in (401, 403, 404)


async def answer_form_post(
    attempt: Awaitable[object],
    *,
    done: str,
    again: Callable[[ApiRefused], Awaitable[Response]],
    shown: Callable[[ApiRefused], bool] = shown_on_the_form,
) -> Response:
    """Every console form post: the API call, then post/redirect/get to ``done`` (a reload
    does not post again), or the page ``again`` with the refusal it can show."""
    try:
        await attempt
    except ApiRefused as refusal:
        if not shown(refusal):
            raise
        return await again(refusal)
    return RedirectResponse(done, status_code=303)


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return sign_in_redirect(request, exc.next_path)


async def on_api_refused(request: Request, exc: Exception) -> Response:
    """A refusal no page handled itself: 401 signs out, others are their error page with the
    API's own words (a forged post by the wrong role shows the API's 403 as such)."""
    assert isinstance(exc, ApiRefused)
    if exc.status_code == 401:
        return sign_in_redirect(request, _here(request))
    renderer: PageRenderer = request.app.state.pages
    return renderer.render(
        request,
        "refused.html",
        {
            "status_code": exc.status_code,
            "detail": exc.detail,
            "text": REFUSED,
            "session": getattr(request.state, SESSION_STATE_KEY, None),
        },
        status_code=exc.status_code if exc.status_code in (403, 404, 409, 422) else 400,
    )


async def on_api_unavailable(request: Request, _exc: Exception) -> Response:
    renderer: PageRenderer = request.app.state.pages
    return render_error_page(renderer, request, 503, text=UNAVAILABLE, retry_url=_here(request))
